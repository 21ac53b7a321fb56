/**
 * Schemas of the two contract layouts Riffle reads (see contract.ts): every key a check depends on is checked —
 * unknown keys are errors with a did-you-mean (a `requird:` or `allowed_value:` would otherwise drop its check
 * silently), types are checked against the type grammar (`strng` is an error), and quality rules against their
 * expectation's kwargs. Free-form metadata the spec leaves open (DCS `servers`, `terms`, `links`, `config`, `x-`
 * extension keys of `info`) is accepted as is: no check depends on it.
 */
import { z } from 'zod';
import { closest } from '../config/index.ts';

const BASE_TYPES = [
  'string', 'text', 'varchar', 'char', 'long', 'int', 'integer', 'bigint', 'smallint', 'tinyint', 'short', 'byte', 'float', 'double', 'real',
  'number', 'numeric', 'decimal', 'boolean', 'bool', 'timestamp', 'timestamp_tz', 'timestamp_ntz', 'datetime', 'date', 'time', 'bytes', 'binary',
  'array', 'list', 'map', 'object', 'record', 'struct', 'null', 'uuid', 'json', 'variant',
];

/**
 * Checks a declared type against the grammar: a base type, `decimal(p,s)`/`numeric(p,s)`, `varchar(n)`/`char(n)`,
 * `array<T>`, `map<K,V>`, `struct<name:T, ...>`. Returns what is wrong, or undefined.
 */
export function fieldTypeProblem(type: string): string | undefined {
  let pos = 0;
  const t = type.toLowerCase();
  const ws = () => {
    while (t[pos] === ' ') pos++;
  };
  const problem = (what: string): never => {
    throw new Error(what);
  };
  const name = (): string => {
    ws();
    const m = /^[a-z_][a-z0-9_]*/.exec(t.slice(pos));
    if (m === null) problem(`expected a type at character ${pos + 1}`);
    pos += m![0].length;
    ws();
    return m![0];
  };
  const expect = (c: string) => {
    ws();
    if (t[pos] !== c) problem(`expected '${c}' at character ${pos + 1}`);
    pos++;
  };
  const parseType = (): void => {
    const start = pos;
    const base = name();
    if (!BASE_TYPES.includes(base)) {
      const close = closest(base, BASE_TYPES, 1);
      problem(`unknown type \`${type.slice(start, pos).trim()}\`${close.length > 0 ? ` (did you mean \`${close[0]}\`?)` : ` (known: ${BASE_TYPES.join(', ')})`}`);
    }
    if (t[pos] === '(') {
      if (!['decimal', 'numeric', 'varchar', 'char', 'number'].includes(base)) problem(`${base} takes no (precision)`);
      const m = /^\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/.exec(t.slice(pos));
      if (m === null) problem(`${base}(...) needs numbers, e.g. decimal(10,2)`);
      if (m![2] !== undefined && Number(m![2]) > Number(m![1])) problem(`${base}(${m![1]},${m![2]}): the scale exceeds the precision`);
      pos += m![0].length;
    } else if (t[pos] === '<') {
      pos++;
      if (base === 'array' || base === 'list') parseType();
      else if (base === 'map') {
        parseType();
        expect(',');
        parseType();
      } else if (base === 'struct' || base === 'record' || base === 'object') {
        for (;;) {
          name();
          expect(':');
          parseType();
          ws();
          if (t[pos] === ',') pos++;
          else break;
        }
      } else problem(`${base} takes no <...>`);
      expect('>');
    }
    ws();
  };
  try {
    parseType();
    if (pos !== t.length) problem(`unexpected '${t.slice(pos)}'`);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const fieldType = z.string().superRefine((t, ctx) => {
  const p = fieldTypeProblem(t);
  if (p !== undefined) ctx.addIssue({ code: 'custom', message: p });
});

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const free = z.record(z.string(), z.unknown());

/** A great-expectations rule as a contract carries it (the kwargs are checked against the expectation's schema). */
const geExpectation = z.strictObject({ expectation_type: z.string().optional(), type: z.string().optional(), kwargs: z.record(z.string(), z.unknown()).optional(), meta: free.optional() });

/** DCS quality entries: text, sql and custom are reported as not evaluated; great-expectations and library rules run. */
const dcsQuality = z.strictObject({
  type: z.enum(['text', 'sql', 'custom', 'library', 'great-expectations', 'SodaCL', 'sodacl', 'montecarlo']),
  name: z.string().optional(),
  description: z.string().optional(),
  // great-expectations (0.9-style entries, and Riffle's inline form)
  expectation: geExpectation.optional(),
  expectation_type: z.string().optional(),
  kwargs: z.record(z.string(), z.unknown()).optional(),
  // library
  rule: z.string().optional(),
  mustBe: z.unknown().optional(),
  mustNotBe: z.unknown().optional(),
  mustBeGreaterThan: z.number().optional(),
  mustBeGreaterOrEqualTo: z.number().optional(),
  mustBeGreaterThanOrEqualTo: z.number().optional(),
  mustBeLessThan: z.number().optional(),
  mustBeLessOrEqualTo: z.number().optional(),
  mustBeLessThanOrEqualTo: z.number().optional(),
  mustBeBetween: z.tuple([z.number(), z.number()]).optional(),
  mustNotBeBetween: z.tuple([z.number(), z.number()]).optional(),
  // sql / custom
  query: z.string().optional(),
  dialect: z.string().optional(),
  engine: z.string().optional(),
  implementation: z.unknown().optional(),
  specification: z.unknown().optional(),
  unit: z.string().optional(),
  severity: z.string().optional(),
  businessImpact: z.string().optional(),
  tags: z.array(z.string()).optional(),
});

const lineage = z.looseObject({});

const dcsFieldShape = {
  description: z.string().optional(),
  title: z.string().optional(),
  type: fieldType.optional(),
  required: z.boolean().optional(),
  primary: z.boolean().optional(),
  primaryKey: z.boolean().optional(),
  references: z.string().optional(),
  unique: z.boolean().optional(),
  enum: z.array(scalar).optional(),
  minLength: z.number().int().min(0).optional(),
  maxLength: z.number().int().min(0).optional(),
  format: z.string().optional(),
  precision: z.number().optional(),
  scale: z.number().optional(),
  pattern: z.string().optional(),
  minimum: z.number().optional(),
  exclusiveMinimum: z.number().optional(),
  maximum: z.number().optional(),
  exclusiveMaximum: z.number().optional(),
  example: z.unknown().optional(),
  examples: z.array(z.unknown()).optional(),
  pii: z.boolean().optional(),
  classification: z.string().optional(),
  tags: z.array(z.string()).optional(),
  links: z.record(z.string(), z.string()).optional(),
  $ref: z.string().optional(),
  quality: z.array(dcsQuality).optional(),
  lineage: lineage.optional(),
  config: free.optional(),
  default: z.unknown().optional(),
};
type DcsField = { [k: string]: unknown };
const dcsField: z.ZodType<DcsField> = z.lazy(() =>
  z.strictObject({ ...dcsFieldShape, fields: z.record(z.string(), dcsField).optional(), items: dcsField.optional(), keys: dcsField.optional(), values: dcsField.optional() }),
);

const dcsModel = z.strictObject({
  description: z.string().optional(),
  type: z.enum(['table', 'view', 'object']).optional(),
  title: z.string().optional(),
  fields: z.record(z.string(), dcsField),
  primaryKey: z.array(z.string()).optional(),
  quality: z.array(dcsQuality).optional(),
  examples: z.array(z.unknown()).optional(),
  config: free.optional(),
  tags: z.array(z.string()).optional(),
  links: z.record(z.string(), z.string()).optional(),
});

const duration = z.union([z.string(), z.number()]);
const dcsServiceLevels = z.strictObject({
  availability: z.strictObject({ description: z.string().optional(), percentage: z.union([z.string(), z.number()]).optional() }).optional(),
  retention: z.strictObject({ description: z.string().optional(), period: duration.optional(), unlimited: z.boolean().optional(), timestampField: z.string().optional() }).optional(),
  latency: z.strictObject({ description: z.string().optional(), threshold: duration.optional(), sourceTimestampField: z.string().optional(), processedTimestampField: z.string().optional() }).optional(),
  freshness: z.strictObject({ description: z.string().optional(), threshold: duration.optional(), timestampField: z.string().optional() }).optional(),
  frequency: z.strictObject({ description: z.string().optional(), type: z.enum(['batch', 'micro-batching', 'streaming', 'manual']).optional(), interval: z.string().optional(), cron: z.string().optional() }).optional(),
  support: z.strictObject({ description: z.string().optional(), time: z.string().optional(), responseTime: z.string().optional() }).optional(),
  backup: z.strictObject({ description: z.string().optional(), interval: z.string().optional(), cron: z.string().optional(), recoveryTime: z.string().optional(), recoveryPoint: z.string().optional() }).optional(),
});

/** `info`: the spec's keys; other keys only as `x-` extensions. */
const dcsInfo = z.looseObject({
  title: z.string(),
  version: z.union([z.string(), z.number()]),
  status: z.string().optional(),
  description: z.string().optional(),
  owner: z.string().optional(),
  contact: free.optional(),
}).superRefine((info, ctx) => {
  const known = ['title', 'version', 'status', 'description', 'owner', 'contact'];
  for (const key of Object.keys(info)) {
    if (known.includes(key) || key.startsWith('x-')) continue;
    const close = closest(key, known, 1);
    ctx.addIssue({ code: 'custom', path: [key], message: `unknown key \`${key}\`${close.length > 0 ? ` (did you mean \`${close[0]}\`?)` : ''} (extensions start with x-)` });
  }
});

/** The Data Contract Specification (datacontract.com) 0.9–1.x. */
export const dcsContractSchema = z.strictObject({
  dataContractSpecification: z.union([z.string(), z.number()]),
  id: z.string(),
  info: dcsInfo,
  servers: free.optional(),
  terms: free.optional(),
  models: z.record(z.string(), dcsModel),
  definitions: free.optional(),
  examples: z.array(z.unknown()).optional(),
  servicelevels: dcsServiceLevels.optional(),
  quality: z.strictObject({ type: z.string(), specification: z.unknown() }).optional(),
  links: z.record(z.string(), z.string()).optional(),
  tags: z.array(z.string()).optional(),
});

const seedField = z.strictObject({
  name: z.string().min(1),
  type: fieldType,
  required: z.boolean().optional(),
  unique: z.boolean().optional(),
  primaryKey: z.boolean().optional(),
  primary_key: z.boolean().optional(),
  description: z.string().optional(),
  title: z.string().optional(),
  allowed_values: z.array(scalar).optional(),
  enum: z.array(scalar).optional(),
  constraints: z.strictObject({ min: z.number().optional(), max: z.number().optional(), min_length: z.number().int().min(0).optional(), max_length: z.number().int().min(0).optional(), pattern: z.string().optional() }).optional(),
  format: z.string().optional(),
  pattern: z.string().optional(),
  minLength: z.number().int().min(0).optional(),
  maxLength: z.number().int().min(0).optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  exclusiveMinimum: z.number().optional(),
  exclusiveMaximum: z.number().optional(),
  pii: z.boolean().optional(),
  classification: z.string().optional(),
  default: z.unknown().optional(),
  tags: z.array(z.string()).optional(),
  examples: z.array(z.unknown()).optional(),
  references: z.string().optional(),
});

/** The seeds' layout (modern-data-engineering-guide.md §8.1, examples/contracts/orders.contract.yaml). */
export const seedContractSchema = z.strictObject({
  contract_version: z.union([z.string(), z.number()]).optional(),
  dataset: z.string().min(1),
  owner: z.string().optional(),
  contact: z.string().optional(),
  description: z.string().optional(),
  schema: z.strictObject({ fields: z.array(seedField).min(1) }),
  quality_sla: z.strictObject({
    freshness: z.strictObject({ max_delay_minutes: z.number().positive(), description: z.string().optional() }).optional(),
    completeness: z.strictObject({ required_fields: z.array(z.string()).min(1), null_rate_threshold: z.number().min(0).max(1).optional(), description: z.string().optional() }).optional(),
    validity: z.array(z.union([
      z.strictObject({ field: z.string(), pattern: z.string(), description: z.string().optional() }),
      z.strictObject({ field: z.string(), rule: z.string(), description: z.string().optional() }),
    ])).optional(),
    row_count: z.strictObject({ expected_daily_min: z.number().int().min(0).optional(), expected_daily_max: z.number().int().min(0).optional(), description: z.string().optional() }).optional(),
  }).optional(),
  evolution_policy: z.strictObject({
    backward_compatible: z.boolean().optional(),
    forward_compatible: z.boolean().optional(),
    allowed_changes: z.array(z.string()).optional(),
    breaking_changes_require: z.array(z.string()).optional(),
    change_notification: free.optional(),
  }).optional(),
  consumers: z.array(z.strictObject({ team: z.string(), use_case: z.string().optional(), criticality: z.enum(['low', 'medium', 'high', 'critical']).optional(), contact: z.string().optional() })).optional(),
});
