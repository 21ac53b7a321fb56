/**
 * The byte buffers coders write to and read from. `ByteWriter` grows as needed; `ByteReader` checks every read
 * against the end of its input, so a truncated or corrupt encoding is a `CoderInputError` (a RangeError) naming
 * the position, never silent garbage or an endless loop.
 * @example
 *   const w = new ByteWriter(); w.varInt64(-1); w.string('a');
 *   const r = new ByteReader(w.toBytes()); r.varInt64(); r.string()  // -1, 'a'
 */
export { CoderInputError, ByteReader } from './byte-reader.ts';
export { ByteWriter, varUintSize } from './byte-writer.ts';

