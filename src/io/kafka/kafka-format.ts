/**
 * How a Kafka key or value becomes an element and back: `json` (UTF-8 JSON), `text` (UTF-8), `raw` (the bytes, a
 * Uint8Array), `avro` (Avro's binary encoding with a given schema, through avsc), or a Riffle `Coder` (its outer
 * context: the value runs to the end of the bytes). A null key or value (a tombstone) stays null in every format.
 * Decoding throws an Error whose message is the reason (the reader turns it into an error record with the raw bytes).
 */
import { ByteReader, ByteWriter, ConfigError, decodeIn, encodeIn, type Coder } from '../../model/index.ts';

export type KafkaFormat = 'json' | 'text' | 'raw' | 'avro';
export const KAFKA_FORMATS: readonly KafkaFormat[] = ['json', 'text', 'raw', 'avro'];

/** A key's or value's format as the options give it. */
export interface PayloadSpec {
  readonly format: KafkaFormat;
  /** The Avro schema (avsc's JSON form), with format 'avro'. */
  readonly schema?: unknown;
  /** A Riffle coder instead of a format. */
  readonly coder?: Coder<unknown>;
}

/** Encodes and decodes one side (key or value) of a message. */
export interface PayloadCodec {
  readonly name: string;
  decode(bytes: Uint8Array): unknown;
  encode(value: unknown): Uint8Array;
}

/** The part of avsc this module uses. */
export interface AvroLib {
  Type: { forSchema(schema: any): { fromBuffer(b: Buffer): unknown; toBuffer(v: unknown): Buffer; isValid(v: unknown, o?: { errorHook?: (path: string[], v: unknown) => void }): boolean } };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Checks a payload spec's shape (the schema itself is compiled at open, with avsc). */
export function checkPayloadSpec(spec: PayloadSpec, what: string, formatKey: string, schemaKey: string): void {
  if (!KAFKA_FORMATS.includes(spec.format)) throw new ConfigError(`${what}: option '${formatKey}' must be one of ${KAFKA_FORMATS.join(', ')}, not ${JSON.stringify(spec.format)}`);
  if (spec.format === 'avro' && (spec.schema === undefined || spec.schema === null)) {
    throw new ConfigError(`${what}: format 'avro' needs option '${schemaKey}' (the Avro schema, e.g. { type: 'record', name: 'T', fields: [...] })`);
  }
  if (spec.format !== 'avro' && spec.schema !== undefined) throw new ConfigError(`${what}: option '${schemaKey}' is only for format 'avro'`);
  if (spec.coder !== undefined && (typeof spec.coder !== 'object' || typeof spec.coder.decode !== 'function' || typeof spec.coder.encode !== 'function')) {
    throw new ConfigError(`${what}: a coder must be a Riffle Coder (e.g. coders.string())`);
  }
}

/** The codec of a spec; `avro` is avsc once loaded (needed with format 'avro'). */
export function payloadCodec(spec: PayloadSpec, what: string, avro?: AvroLib): PayloadCodec {
  const coder = spec.coder;
  if (coder) {
    return {
      name: `coder ${coder.name}`,
      decode(bytes) {
        const r = new ByteReader(bytes);
        const v = decodeIn(coder, r, 'outer');
        if (!r.done) throw new Error(`coder ${coder.name}: ${r.remaining} trailing bytes after the value`);
        return v;
      },
      encode(value) {
        const w = new ByteWriter();
        encodeIn(coder, value, w, 'outer');
        return w.toBytes();
      },
    };
  }
  switch (spec.format) {
    case 'raw':
      return {
        name: 'raw',
        decode: (bytes) => bytes,
        encode(value) {
          if (!(value instanceof Uint8Array)) throw new Error(`format 'raw' writes a Uint8Array, not ${typeName(value)}`);
          return value;
        },
      };
    case 'text':
      return {
        name: 'text',
        decode: (bytes) => decodeUtf8(bytes),
        encode(value) {
          if (typeof value !== 'string') throw new Error(`format 'text' writes a string, not ${typeName(value)}`);
          return Buffer.from(value, 'utf8');
        },
      };
    case 'json':
      return {
        name: 'json',
        decode(bytes) {
          const text = decodeUtf8(bytes);
          try {
            return JSON.parse(text);
          } catch (e) {
            throw new Error(`the data is not JSON: ${(e as Error).message}`, { cause: e });
          }
        },
        encode(value) {
          const text = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : String(v)) : v));
          if (text === undefined) throw new Error(`format 'json' cannot write ${typeName(value)}`);
          return Buffer.from(text, 'utf8');
        },
      };
    case 'avro': {
      if (!avro) throw new Error('internal: avsc must be loaded for the avro format');
      let type: ReturnType<AvroLib['Type']['forSchema']>;
      try {
        type = avro.Type.forSchema(spec.schema);
      } catch (e) {
        throw new ConfigError(`${what}: the Avro schema is invalid: ${(e as Error).message}`);
      }
      return {
        name: 'avro',
        decode(bytes) {
          try {
            return type.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
          } catch (e) {
            throw new Error(`the data is not Avro of the given schema: ${(e as Error).message}`, { cause: e });
          }
        },
        encode(value) {
          const bad: string[] = [];
          if (!type.isValid(value, { errorHook: (path) => bad.push(path.join('.') || '(the value)') })) {
            throw new Error(`the value does not match the Avro schema at ${bad.slice(0, 3).join(', ')}`);
          }
          return type.toBuffer(value);
        },
      };
    }
  }
}

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch (e) {
    throw new Error('the data is not valid UTF-8', { cause: e });
  }
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return 'a Uint8Array';
  return Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}
