/**
 * DAG parameters: declared in `dag({ params })`, checked and coerced before a run is created or started.
 *
 * A bare value is a default and gives the type (`errorRateThreshold: 0.05` is a number; `true` a boolean; a string a
 * string; an array, an object or null JSON). `{ type, default?, description?, enum?, min?, max? }` declares one
 * explicitly; types: string, number, integer, boolean, date (YYYY-MM-DD), datetime (ISO 8601), json. A declared param
 * without a default must be given by every run that uses it (scheduled runs cannot: give it a default).
 *
 * Values typed on a command line arrive as text and are read as their param's type (`--n=3` is 3, `--flag=false`
 * is false, a json param's text is parsed); values from code, a JSON `--conf` and stored runs must already have the
 * type (text is read the same way for stored runs of earlier versions, which stored command-line text). An unknown
 * name, or a value that is not what the param expects, is refused with every problem at once, naming the param, the
 * value and what is expected, with "did you mean" for unknown names.
 * @example
 *   dag({ id: 'gate', schedule: '@daily', startDate: '2024-01-01', params: {
 *     errorRateThreshold: 0.05,
 *     mode: { type: 'string', default: 'full', enum: ['full', 'incremental'], description: 'how much to reload' },
 *   } });
 *   resolveParams(gate, [['errorRateThreshold', 'abc']], 'text')  // throws: --errorRateThreshold: 'abc' is not a number
 */
import { ConfigError } from '../model/index.ts';
import { closest } from '../config/index.ts';
import { DagDefinitionError } from './errors.ts';

export const PARAM_TYPES = ['string', 'number', 'integer', 'boolean', 'date', 'datetime', 'json'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

/** An explicit declaration of a param. */
export interface ParamSpec {
  type: ParamType;
  default?: unknown;
  description?: string;
  /** The values allowed. */
  enum?: readonly unknown[];
  /** Bounds of a number or integer (inclusive). */
  min?: number;
  max?: number;
}

const SPEC_KEYS = new Set(['type', 'default', 'description', 'enum', 'min', 'max']);

/** Whether a params entry is a declaration (`{ type: 'number', ... }` with only declaration keys), not a default. */
function isSpec(v: unknown): v is ParamSpec {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { type?: unknown }).type === 'string' && Object.keys(v).every((k) => SPEC_KEYS.has(k));
}

/** Reads `dag({ params })` into declarations; throws a DagDefinitionError for a bad declaration or default. */
export function paramSpecsOf(dagId: string, params: Record<string, unknown>): Record<string, ParamSpec> {
  const out: Record<string, ParamSpec> = {};
  for (const [name, v] of Object.entries(params)) {
    if (!/^[A-Za-z_][\w-]*$/.test(name)) throw new DagDefinitionError(`dag '${dagId}': param name '${name}' is not a name`, { hint: 'use letters, digits, _ and - (templates read it as params.<name>)' });
    let spec: ParamSpec;
    if (isSpec(v)) {
      if (!(PARAM_TYPES as readonly string[]).includes(v.type)) {
        const near = closest(v.type, PARAM_TYPES);
        throw new DagDefinitionError(`dag '${dagId}': param '${name}' has unknown type '${v.type}'`, { hint: `${near.length > 0 ? `did you mean '${near[0]}'? ` : ''}types: ${PARAM_TYPES.join(', ')}` });
      }
      spec = { ...v };
    } else {
      spec = { type: typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : typeof v === 'string' ? 'string' : 'json', default: v };
      if (typeof v === 'undefined' || typeof v === 'function' || typeof v === 'bigint' || typeof v === 'symbol') {
        throw new DagDefinitionError(`dag '${dagId}': param '${name}' has a default of type ${typeof v}`, { hint: 'defaults are JSON values (string, number, boolean, array, object, null), or { type, default, description }' });
      }
    }
    if (spec.default !== undefined) {
      const problem = checkValue(spec, spec.default, 'typed');
      if (typeof problem === 'string') throw new DagDefinitionError(`dag '${dagId}': the default of param '${name}' ${problem}`);
    }
    out[name] = spec;
  }
  return out;
}

/** The defaults of declared params (params without a default are left out). */
export function paramDefaults(specs: Record<string, ParamSpec>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(specs).filter(([, s]) => s.default !== undefined).map(([k, s]) => [k, s.default]));
}

/** What a param expects, for messages: `a number ≥ 0`, `one of full, incremental`. */
export function describeParam(spec: ParamSpec): string {
  const what = { string: 'a string', number: 'a number', integer: 'an integer', boolean: 'true or false', date: 'a date (YYYY-MM-DD)', datetime: 'a date-time (ISO 8601, e.g. 2024-01-01T06:00:00Z)', json: 'a JSON value' }[spec.type];
  const bounds = [spec.min !== undefined ? `≥ ${spec.min}` : '', spec.max !== undefined ? `≤ ${spec.max}` : ''].filter(Boolean).join(' and ');
  return `${what}${bounds ? ` ${bounds}` : ''}${spec.enum ? `, one of ${spec.enum.map((e) => JSON.stringify(e)).join(', ')}` : ''}`;
}

const NUMBER_TEXT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const DATE_TEXT = /^(\d{4})-(\d\d)-(\d\d)$/;
const DATETIME_TEXT = /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/;

function validDate(text: string): boolean {
  const m = DATE_TEXT.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/**
 * Checks one value (reading text as the param's type when `fromText`); returns the value to use, or a string saying
 * what is wrong ("is not a number").
 */
function checkValue(spec: ParamSpec, value: unknown, source: ParamSource): { value: unknown } | string {
  let v = value;
  // Stored runs of earlier versions hold command-line text for numbers and booleans (never for JSON values).
  if (typeof v === 'string' && (source === 'text' || (source === 'stored' && ['number', 'integer', 'boolean'].includes(spec.type)))) {
    const t = v.trim();
    switch (spec.type) {
      case 'number':
      case 'integer':
        if (!NUMBER_TEXT.test(t)) return `is not ${spec.type === 'number' ? 'a number' : 'an integer'}`;
        v = Number(t);
        break;
      case 'boolean': {
        const b = { true: true, false: false, yes: true, no: false, '1': true, '0': false }[t.toLowerCase()];
        if (b === undefined) return 'is not true or false';
        v = b;
        break;
      }
      case 'json':
        try {
          v = JSON.parse(t);
        } catch {
          return 'is not JSON';
        }
        break;
      default:
        break;
    }
  }
  switch (spec.type) {
    case 'string':
      if (typeof v !== 'string') return 'is not a string';
      break;
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) return 'is not a number';
      break;
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v)) return 'is not an integer';
      break;
    case 'boolean':
      if (typeof v !== 'boolean') return 'is not true or false';
      break;
    case 'date':
      if (typeof v !== 'string' || !validDate(v)) return 'is not a date (YYYY-MM-DD)';
      break;
    case 'datetime':
      if (typeof v !== 'string' || !DATETIME_TEXT.test(v) || Number.isNaN(Date.parse(v))) return 'is not a date-time (ISO 8601)';
      break;
    case 'json':
      break;
  }
  if (typeof v === 'number' && spec.min !== undefined && v < spec.min) return `is below the minimum ${spec.min}`;
  if (typeof v === 'number' && spec.max !== undefined && v > spec.max) return `is above the maximum ${spec.max}`;
  if (spec.enum && !spec.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) return `is not one of ${spec.enum.map((e) => JSON.stringify(e)).join(', ')}`;
  return { value: v };
}

/** Where values come from: text from a command line, typed values (code, a JSON --conf), or a stored run's conf. */
export type ParamSource = 'text' | 'typed' | 'stored';

/** A value given to a run: name, value, and (when it differs from the call's) where it comes from. */
export type ParamValue = readonly [name: string, value: unknown, source?: ParamSource];

/**
 * Checks and coerces the values given to a run of `dag` (pairs of name and value, in order; a later one wins) and
 * returns them merged over the defaults. Throws one ConfigError listing every problem. `label` names where the
 * values come from in messages (`--`, `conf `); `ignoreUnknown` passes unknown names through (a stored run's conf
 * may name params a later version of the DAG dropped).
 */
export function resolveParams(dag: { id: string; paramSpecs: Readonly<Record<string, ParamSpec>> }, given: Iterable<ParamValue> | Record<string, unknown>, source: ParamSource, o: { label?: string; ignoreUnknown?: boolean } = {}): Record<string, unknown> {
  const label = o.label ?? (source === 'text' ? '--' : '');
  const pairs: ParamValue[] = Symbol.iterator in Object(given) ? [...(given as Iterable<ParamValue>)] : Object.entries(given);
  const specs = dag.paramSpecs;
  const out: Record<string, unknown> = paramDefaults(specs as Record<string, ParamSpec>);
  const problems: string[] = [];
  for (const [name, value, from] of pairs) {
    const spec = specs[name];
    if (!spec) {
      if (o.ignoreUnknown) {
        out[name] = value;
        continue;
      }
      const near = closest(name, Object.keys(specs));
      problems.push(`${label}${name}: unknown param${near.length > 0 ? `; did you mean '${near[0]}'?` : ''} (params of ${dag.id}: ${Object.keys(specs).join(', ') || 'none'})`);
      continue;
    }
    const r = checkValue(spec, value, from ?? source);
    if (typeof r === 'string') problems.push(`${label}${name}: ${JSON.stringify(value)} ${r}; expected ${describeParam(spec)}${spec.default !== undefined ? ` (default ${JSON.stringify(spec.default)})` : ''}`);
    else out[name] = r.value;
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (!(name in out) && !problems.some((p) => p.startsWith(`${label}${name}:`))) problems.push(`${label}${name}: required (no default); expected ${describeParam(spec)}`);
  }
  if (problems.length > 0) {
    throw new ConfigError(`invalid params for dag '${dag.id}':\n  ${problems.join('\n  ')}`, {
      hint: `riffle dag show ${dag.id} lists its params and their types`,
      context: { dagId: dag.id, problems },
    });
  }
  return out;
}
