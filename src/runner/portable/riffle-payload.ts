/**
 * The payloads of Riffle's own URNs (DoFns, combiners, custom window functions, declared coders): JSON naming the
 * pipeline module, its parameter values and the step. The harness loads the module, builds the same pipeline with
 * the same parameters (as worker threads do, runner/exchange/pipeline-job.ts) and finds the step by its full name,
 * which is stable because a module builds the same graph every time.
 * @example
 *   encodeRifflePayload({ module: 'pipeline.ts', params: {}, step: 'Parse/ParDo', role: 'map' })
 */

/** Which pipeline: the module (its staged name, or a path when the harness shares the file system) and parameters. */
export interface PipelineRef {
  readonly module: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** What a payload points at, inside the step: the function's role and, for coders, where in the step's types. */
export type PayloadRole =
  | 'map'
  | 'flatMap'
  | 'filter'
  | 'parDo'
  | 'assignTimestamps'
  | 'source'
  | 'sink'
  | 'combineFn'
  | 'stateCombineFn'
  | 'windowFn'
  | 'coder'
  | 'windowCoder'
  | 'view'
  | 'reifyWindows'
  | 'groupAlsoByWindow';

export interface RifflePayload extends PipelineRef {
  /** The step's full name (`CountWords/Split`), or the collection's for coders (`Parse/ParDo.main`). */
  readonly step: string;
  readonly role: PayloadRole;
  /** Role details: the path inside a coder (`['key']`), a state id, the error output's tag, a view's kind. */
  readonly detail?: Readonly<Record<string, string | number | boolean | readonly string[]>>;
}

const ROLES: ReadonlySet<string> = new Set<PayloadRole>(['map', 'flatMap', 'filter', 'parDo', 'assignTimestamps', 'source', 'sink', 'combineFn', 'stateCombineFn', 'windowFn', 'coder', 'windowCoder', 'view', 'reifyWindows', 'groupAlsoByWindow']);

export function encodeRifflePayload(p: RifflePayload): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(p));
}

/** Reads a payload back; a payload that is not one of Riffle's is a RangeError saying what is wrong with it. */
export function decodeRifflePayload(bytes: Uint8Array): RifflePayload {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new RangeError(`not a Riffle payload (expected JSON): ${(e as Error).message}`, { cause: e });
  }
  const v = value as Partial<RifflePayload> | null;
  if (v === null || typeof v !== 'object') throw new RangeError('not a Riffle payload: expected a JSON object');
  if (typeof v.module !== 'string' || v.module === '') throw new RangeError("Riffle payload: 'module' must be a non-empty string");
  if (typeof v.step !== 'string' || v.step === '') throw new RangeError("Riffle payload: 'step' must be a non-empty string");
  if (typeof v.role !== 'string' || !ROLES.has(v.role)) throw new RangeError(`Riffle payload: unknown role '${String(v.role)}' (expected one of ${[...ROLES].join(', ')})`);
  if (v.params === null || typeof v.params !== 'object' || Array.isArray(v.params)) throw new RangeError("Riffle payload: 'params' must be an object");
  const unknown = Object.keys(v).filter((k) => !['module', 'params', 'step', 'role', 'detail'].includes(k));
  if (unknown.length > 0) throw new RangeError(`Riffle payload: unknown key(s) ${unknown.join(', ')}`);
  return v as RifflePayload;
}
