/**
 * An input file to read, wherever it is: a local path (node:fs) or an object in a store (`s3://…`, `az://…`,
 * `abfss://…`: ranged GETs through the object-store layer). The readers (lines.ts, file-source.ts) go through these
 * three functions, so a CSV, JSON Lines or text read gives the same records and the same error records from either,
 * and a split read of an object fetches only its byte range.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { isObjectStoreUrl, locateObject, type ObjectStore } from '../../object-store/index.ts';

/** What a reader needs of an open input: positioned reads and its size (the subset of node's FileHandle used). */
export interface InputHandle {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  stat(): Promise<InputStat>;
  close(): Promise<void>;
}

/** An input's size and modification time (ms since the epoch: an object's Last-Modified). */
export interface InputStat {
  readonly size: number;
  readonly mtimeMs: number;
}

/** Bytes fetched per ranged GET when streaming an object. */
const OBJECT_CHUNK = 8 * 1024 * 1024;

/** Whether a path names an object in a store rather than a local file. */
export function isObjectInput(path: string): boolean {
  return isObjectStoreUrl(path);
}

/** An absent object, as the same error a missing local file gives (ENOENT), so readers keep one error path. */
function missing(url: string): Error {
  return Object.assign(new Error(`ENOENT: no such object, open '${url.slice(0, 300)}'`), { code: 'ENOENT', path: url });
}

async function headObject(url: string): Promise<{ store: ObjectStore; key: string; stat: InputStat }> {
  const { store, key } = locateObject(url);
  const meta = await store.head(key);
  if (meta === undefined) throw missing(url);
  return { store, key, stat: { size: meta.size, mtimeMs: meta.lastModified } };
}

/**
 * The size and modification time of a local file or an object.
 *
 * @example
 *   const { size } = await statInput('s3://lake/raw/2024-01.csv');
 */
export async function statInput(path: string): Promise<InputStat> {
  if (!isObjectStoreUrl(path)) {
    const st = await stat(path);
    return { size: st.size, mtimeMs: st.mtimeMs };
  }
  return (await headObject(path)).stat;
}

/**
 * Opens an input for positioned reads: a local file handle, or an object read by ranged GETs (its size from one
 * HEAD; a read past the end reads 0 bytes, as a file's does).
 *
 * @example
 *   const h = await openInput('az://lake/raw/a.csv.gz');
 *   const head = Buffer.alloc(2); await h.read(head, 0, 2, 0); await h.close();
 */
export async function openInput(path: string): Promise<InputHandle> {
  if (!isObjectStoreUrl(path)) return open(path, 'r');
  const { store, key, stat: st } = await headObject(path);
  return {
    async read(buffer, offset, length, position) {
      const end = Math.min(st.size, position + length);
      if (end <= position) return { bytesRead: 0 };
      const bytes = await store.getRange(key, position, end);
      buffer.set(bytes, offset);
      return { bytesRead: bytes.length };
    },
    stat: async () => st,
    close: async () => undefined,
  };
}

/**
 * A stream of an input's bytes `[start, end]` (inclusive end, as `createReadStream`): a local file stream, or an
 * object fetched in ranged GETs of 8 MiB, the next one requested while the current one is consumed.
 *
 * @example
 *   for await (const chunk of inputStream('s3://lake/raw/a.jsonl', { start: 0, end: 1023 })) process.stdout.write(chunk);
 */
export function inputStream(path: string, opts: { start?: number; end?: number | undefined; highWaterMark?: number }): InputStream {
  if (!isObjectStoreUrl(path)) return createReadStream(path, { start: opts.start, end: opts.end, highWaterMark: opts.highWaterMark });
  const counter = { bytesRead: 0 };
  const stream = Readable.from(objectChunks(path, opts.start ?? 0, opts.end, counter), { objectMode: false });
  return Object.defineProperty(stream, 'bytesRead', { get: () => counter.bytesRead }) as InputStream;
}

/** A stream of an input's bytes that counts them (as `fs.ReadStream#bytesRead`: for messages about corrupt data). */
export type InputStream = Readable & { readonly bytesRead: number };

async function* objectChunks(url: string, start: number, endInclusive: number | undefined, counter: { bytesRead: number }): AsyncGenerator<Buffer> {
  const { store, key, stat: st } = await headObject(url);
  const end = Math.min(st.size, endInclusive === undefined ? st.size : endInclusive + 1);
  const fetchAt = (pos: number) => store.getRange(key, pos, Math.min(end, pos + OBJECT_CHUNK));
  let pos = start;
  let next = pos < end ? fetchAt(pos) : undefined;
  while (next !== undefined) {
    const bytes = await next;
    pos += bytes.length;
    // Prefetch: the next range is on its way while this one is parsed.
    next = pos < end && bytes.length > 0 ? fetchAt(pos) : undefined;
    next?.catch(() => undefined); // a stream destroyed early never awaits it: its failure is not unhandled
    counter.bytesRead += bytes.length;
    if (bytes.length > 0) yield Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}
