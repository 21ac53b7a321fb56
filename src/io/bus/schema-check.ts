/**
 * Topic schemas, checked on publish: JSON Schema with ajv (draft-07, or 2020-12 when the schema's `$schema` says so),
 * Avro with avsc (a message's data is Avro's JSON encoding, or its binary encoding when the topic says `binary`). Both
 * libraries load lazily, on the first topic that has a schema, so importing the bus stays light.
 * @example
 *   const check = await compileSchema({ type: 'json', definition: '{"type":"object","required":["t"]}' });
 *   check(Buffer.from('{}')) // → "must have required property 't'"
 */
import type { SchemaSettings } from './bus-api.ts';
import { BusInvalidArgumentError } from './bus-errors.ts';

/** Returns undefined when `data` matches, else the reason. */
export type SchemaCheck = (data: Uint8Array) => string | undefined;

const decoder = new TextDecoder('utf-8', { fatal: true });

function textOf(data: Uint8Array): { text: string } | { reason: string } {
  try {
    return { text: decoder.decode(data) };
  } catch {
    return { reason: 'the data is not valid UTF-8 text' };
  }
}

function invalidSchema(s: SchemaSettings, e: unknown): BusInvalidArgumentError {
  return new BusInvalidArgumentError(`the topic's ${s.type} schema is invalid: ${e instanceof Error ? e.message : String(e)}`, {
    hint: s.type === 'json' ? 'give a JSON Schema document as text (draft-07 or 2020-12)' : 'give an Avro schema as JSON text, e.g. {"type":"record","name":"R","fields":[...]}',
  });
}

/** Compiles a schema into a checker; an invalid schema is a BusInvalidArgumentError that says why. */
export async function compileSchema(s: SchemaSettings): Promise<SchemaCheck> {
  if (s.type !== 'json' && s.type !== 'avro') throw new BusInvalidArgumentError(`schema type must be "json" or "avro", not ${JSON.stringify(s.type)}`);
  if (typeof s.definition !== 'string') throw new BusInvalidArgumentError('schema.definition must be the schema as JSON text');
  if (s.encoding !== undefined && s.encoding !== 'json' && s.encoding !== 'binary') {
    throw new BusInvalidArgumentError(`schema encoding must be "json" or "binary", not ${JSON.stringify(s.encoding)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(s.definition);
  } catch (e) {
    throw invalidSchema(s, e);
  }
  return s.type === 'json' ? compileJson(s, parsed) : compileAvro(s, parsed);
}

async function compileJson(s: SchemaSettings, schema: unknown): Promise<SchemaCheck> {
  const draft2020 = typeof schema === 'object' && schema !== null && String((schema as { $schema?: unknown }).$schema ?? '').includes('2020-12');
  let validate: ((x: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string }> | null };
  try {
    if (draft2020) {
      const { Ajv2020 } = await import('ajv/dist/2020.js');
      validate = new Ajv2020({ allErrors: false, strict: false }).compile(schema as object);
    } else {
      const { Ajv } = await import('ajv');
      validate = new Ajv({ allErrors: false, strict: false }).compile(schema as object);
    }
  } catch (e) {
    throw invalidSchema(s, e);
  }
  return (data) => {
    const t = textOf(data);
    if ('reason' in t) return t.reason;
    let value: unknown;
    try {
      value = JSON.parse(t.text);
    } catch (e) {
      return `the data is not JSON: ${(e as Error).message}`;
    }
    if (validate(value)) return undefined;
    const err = validate.errors?.[0];
    return err ? `${err.instancePath || '(the document)'} ${err.message ?? 'does not match the schema'}` : 'does not match the schema';
  };
}

async function compileAvro(s: SchemaSettings, schema: unknown): Promise<SchemaCheck> {
  const avro = (await import('avsc')).default;
  let type: import('avsc').Type;
  try {
    type = avro.Type.forSchema(schema as import('avsc').Schema);
  } catch (e) {
    throw invalidSchema(s, e);
  }
  const reasonOf = (value: unknown): string | undefined => {
    const problems: string[] = [];
    const hook = (path: string[], got: unknown, t: import('avsc').Type): void => {
      // The field, the Avro type it needs (a union's branches by name), and what the message has there.
      const expected = t.typeName.startsWith('union') ? `one of ${(t as unknown as { types: import('avsc').Type[] }).types.map((b) => b.name ?? b.typeName).join(' | ')}` : (t.name ?? t.typeName);
      const shown = got === undefined ? 'nothing (missing)' : JSON.stringify(got)?.slice(0, 60) ?? String(got);
      problems.push(`${path.join('.') || '(the record)'}: expected ${expected}, got ${shown}`);
    };
    if (type.isValid(value, { errorHook: hook })) return undefined;
    return `does not match the Avro schema: ${problems.slice(0, 3).join('; ')}`;
  };
  if (s.encoding === 'binary') {
    return (data) => {
      try {
        type.fromBuffer(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
        return undefined;
      } catch (e) {
        return `not a binary Avro record of the schema: ${(e as Error).message}`;
      }
    };
  }
  return (data) => {
    const t = textOf(data);
    if ('reason' in t) return t.reason;
    let value: unknown;
    try {
      value = JSON.parse(t.text);
    } catch (e) {
      return `the data is not JSON (the topic's Avro encoding is json): ${(e as Error).message}`;
    }
    try {
      // Avro's JSON encoding wraps union values ({"string": "x"}); fromString reads that form.
      type.fromString(t.text);
      return undefined;
    } catch {
      return reasonOf(value) ?? 'does not match the Avro schema';
    }
  };
}
