/**
 * Checkpoints, as Great Expectations has them: a name, one or more validations (a data asset and a suite) and
 * actions run after validating — store the result (results-store.ts), update the data docs site (data-docs.ts),
 * notify a webhook. `runCheckpoint` gives a result with a run id (`run_name`, `run_time`), the overall success and
 * each validation's result and actions.
 *
 * Strategy of a run:
 *  1. Fix the run id (given, or `<checkpoint>-<UTC time>` at the start).
 *  2. Validate each asset in one streaming pass (validate-asset.ts). A read that fails (a missing file, a broken
 *     table) fails that validation with the error — the other validations still run and the actions still report it.
 *  3. Per validation: store the result, then update the data docs (they link the stored run).
 *  4. Once per run: the webhook, with a JSON summary of every validation (when `on` says so).
 * An action that fails (a full disk, an unreachable webhook) is recorded in the result (`action_failures`) and never
 * changes `success`: the validation outcome stays what the data gave.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigCheck, configFromValue, readConfigFile, type ConfigDocument, type ConfigPath } from '../config/index.ts';
import { compileContract } from './contract-compile.ts';
import { loadContract } from './contract.ts';
import { parseAsset, type DataAsset } from './data-asset.ts';
import { updateDataDocs } from './data-docs.ts';
import { failedExpectations } from './pipeline-validate.ts';
import { QualityGateError, SuiteError } from './quality-error.ts';
import type { ValidationResult, ValidationStatistics } from './result.ts';
import { storeResult, type RunId } from './results-store.ts';
import { checkSuite, loadSuite, parseSuite, type Suite } from './suite.ts';
import { validateAsset } from './validate-asset.ts';
import type { Row } from './values.ts';

/** When a webhook fires. */
export type WebhookOn = 'failure' | 'success' | 'always';

/** An action run after validating. */
export type CheckpointAction =
  | { readonly type: 'store_validation_result'; readonly store: string }
  | { readonly type: 'update_data_docs'; readonly site: string }
  | { readonly type: 'webhook'; readonly url: string; readonly on?: WebhookOn; readonly headers?: Readonly<Record<string, string>>; readonly timeoutMs?: number };

/** One validation of a checkpoint: an asset and a suite (and, for contracts, how rows are coerced first). */
export interface CheckpointValidation {
  readonly asset: DataAsset;
  readonly suite: Suite;
  readonly mapRow?: (row: Row) => Row;
}

export interface Checkpoint {
  readonly name: string;
  readonly validations: readonly CheckpointValidation[];
  readonly actions: readonly CheckpointAction[];
}

/** What an action did. */
export interface ActionOutcome {
  readonly action: CheckpointAction['type'];
  readonly ok: boolean;
  /** Set when the action had nothing to do (a failure-only webhook on a passing run). */
  readonly skipped?: boolean;
  /** Where it wrote, or the webhook's HTTP status. */
  readonly detail?: Readonly<Record<string, unknown>>;
  readonly error?: string;
}

/** The outcome of one validation of a run. */
export interface CheckpointValidationResult {
  readonly data_asset: string;
  readonly suite: string;
  readonly success: boolean;
  /** Null when the asset could not be read (see `error`). */
  readonly validation_result: ValidationResult | null;
  readonly error?: string;
  readonly actions: ActionOutcome[];
}

export interface CheckpointResult {
  readonly checkpoint_name: string;
  readonly run_id: RunId;
  /** Every validation passed (actions do not count). */
  readonly success: boolean;
  readonly run_results: CheckpointValidationResult[];
  /** Run-level actions (the webhook). */
  readonly actions: ActionOutcome[];
  /** Actions that failed, over the whole run. */
  readonly action_failures: number;
}

/** A JSON summary of a run: what webhooks receive and checkpoint tasks return. */
export interface CheckpointSummary {
  readonly checkpoint: string;
  readonly run_name: string;
  readonly run_time: string;
  readonly success: boolean;
  readonly validations: ReadonlyArray<{ suite: string; data_asset: string; success: boolean; statistics: ValidationStatistics | null; row_count: number | null; failed_expectations: string[]; error?: string }>;
  readonly action_failures: number;
}

/**
 * A checkpoint from code.
 * @example
 *   const cp = quality.checkpoint('orders_daily', {
 *     asset: quality.asset.file('data/orders.csv'), suite: ordersSuite,
 *     actions: [{ type: 'store_validation_result', store: 'quality/results' }, { type: 'update_data_docs', site: 'quality/docs' },
 *               { type: 'webhook', url: 'https://hooks.example.com/dq', on: 'failure' }] });
 *   const result = await quality.runCheckpoint(cp);
 */
export function checkpoint(name: string, spec: { asset?: DataAsset; suite?: Suite; validations?: readonly CheckpointValidation[]; actions?: readonly CheckpointAction[] }): Checkpoint {
  const validations = [...(spec.validations ?? [])];
  if (spec.asset !== undefined || spec.suite !== undefined) {
    if (spec.asset === undefined || spec.suite === undefined) throw new SuiteError(`checkpoint '${name}': give both an asset and a suite`);
    validations.unshift({ asset: spec.asset, suite: spec.suite });
  }
  if (validations.length === 0) throw new SuiteError(`checkpoint '${name}' has nothing to validate`, { hint: 'give an asset and a suite, or validations: [{ asset, suite }]' });
  for (const a of spec.actions ?? []) checkAction(a, `checkpoint '${name}'`);
  return { name, validations, actions: spec.actions ?? [] };
}

function checkAction(a: CheckpointAction, where: string): void {
  if (a.type === 'store_validation_result' && (typeof a.store !== 'string' || a.store === '')) throw new SuiteError(`${where}: store_validation_result needs 'store' (a directory)`);
  if (a.type === 'update_data_docs' && (typeof a.site !== 'string' || a.site === '')) throw new SuiteError(`${where}: update_data_docs needs 'site' (a directory)`);
  if (a.type === 'webhook') {
    if (typeof a.url !== 'string' || !/^https?:\/\//.test(a.url)) throw new SuiteError(`${where}: webhook needs an http(s) 'url', got ${JSON.stringify(a.url)}`);
    if (a.on !== undefined && !['failure', 'success', 'always'].includes(a.on)) throw new SuiteError(`${where}: webhook 'on' must be failure, success or always, got ${JSON.stringify(a.on)}`);
  }
  if (!['store_validation_result', 'update_data_docs', 'webhook'].includes(a.type)) throw new SuiteError(`${where}: unknown action type ${JSON.stringify((a as { type: unknown }).type)}`, { hint: 'store_validation_result, update_data_docs or webhook' });
}

const compactTime = (iso: string) => iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

/**
 * Runs a checkpoint: validates each asset, runs the actions, returns the result (never throws for failed data; see
 * `checkpointTask` or `assertCheckpointPasses` to fail a task).
 */
export async function runCheckpoint(cp: Checkpoint, options: { runName?: string; runTime?: Date | string; signal?: AbortSignal } = {}): Promise<CheckpointResult> {
  const runTime = options.runTime === undefined ? new Date() : new Date(options.runTime);
  if (Number.isNaN(runTime.getTime())) throw new SuiteError(`runTime ${JSON.stringify(options.runTime)} is not a time`);
  const run_time = runTime.toISOString();
  const runId: RunId = { run_name: options.runName ?? `${cp.name}-${compactTime(run_time)}`, run_time };
  const runResults: CheckpointValidationResult[] = [];
  for (const v of cp.validations) {
    options.signal?.throwIfAborted();
    const suiteName = v.suite.expectation_suite_name;
    let result: ValidationResult | null = null;
    let error: string | undefined;
    try {
      result = await validateAsset(v.asset, v.suite, { runId: runId.run_name, ...(v.mapRow ? { mapRow: v.mapRow } : {}), ...(options.signal ? { signal: options.signal } : {}) });
      result.meta.checkpoint_name = cp.name;
      result.meta.run_name = runId.run_name;
      result.meta.run_time = runId.run_time;
    } catch (e) {
      if (options.signal?.aborted) throw e;
      error = `cannot validate ${v.asset.name}: ${(e as Error).message}`;
    }
    const actions: ActionOutcome[] = [];
    if (result !== null) {
      const r = result;
      for (const a of cp.actions) {
        if (a.type === 'store_validation_result') actions.push(attempt(a.type, () => ({ path: storeResult(a.store, r, runId, v.asset.name), store: a.store })));
        else if (a.type === 'update_data_docs') actions.push(attempt(a.type, () => updateDataDocs(a.site, r, runId, v.asset.name, cp.name)));
      }
    }
    runResults.push({ data_asset: v.asset.name, suite: suiteName, success: result?.success ?? false, validation_result: result, ...(error !== undefined ? { error } : {}), actions });
  }
  const success = runResults.every((r) => r.success);
  const partial: CheckpointResult = { checkpoint_name: cp.name, run_id: runId, success, run_results: runResults, actions: [], action_failures: 0 };
  const runActions: ActionOutcome[] = [];
  for (const a of cp.actions) {
    if (a.type !== 'webhook') continue;
    const on = a.on ?? 'failure';
    if ((on === 'failure' && success) || (on === 'success' && !success)) {
      runActions.push({ action: 'webhook', ok: true, skipped: true, detail: { url: a.url, on } });
      continue;
    }
    runActions.push(await postWebhook(a, summarize({ ...partial, action_failures: countFailures(runResults, []) })));
  }
  return { ...partial, actions: runActions, action_failures: countFailures(runResults, runActions) };
}

function countFailures(results: readonly CheckpointValidationResult[], run: readonly ActionOutcome[]): number {
  return results.reduce((n, r) => n + r.actions.filter((a) => !a.ok).length, 0) + run.filter((a) => !a.ok).length;
}

function attempt(action: ActionOutcome['action'], f: () => Record<string, unknown>): ActionOutcome {
  try {
    return { action, ok: true, detail: f() };
  } catch (e) {
    return { action, ok: false, error: (e as Error).message };
  }
}

/** POSTs the summary as JSON; a non-2xx answer, a refused connection or a timeout is a failed action. */
async function postWebhook(a: Extract<CheckpointAction, { type: 'webhook' }>, summary: CheckpointSummary): Promise<ActionOutcome> {
  const detail = { url: a.url, on: a.on ?? 'failure' };
  try {
    const response = await fetch(a.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'riffle-quality', ...a.headers },
      body: JSON.stringify({ event: summary.success ? 'checkpoint.succeeded' : 'checkpoint.failed', ...summary }),
      signal: AbortSignal.timeout(a.timeoutMs ?? 10_000),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) return { action: 'webhook', ok: false, detail: { ...detail, status: response.status }, error: `webhook ${a.url} answered HTTP ${response.status}` };
    return { action: 'webhook', ok: true, detail: { ...detail, status: response.status } };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    return { action: 'webhook', ok: false, detail, error: `webhook ${a.url} failed: ${err.cause?.code ?? err.name}${err.cause?.message ? ` (${err.cause.message})` : `: ${err.message}`}` };
  }
}

/** The JSON summary of a checkpoint result. */
export function summarize(r: CheckpointResult): CheckpointSummary {
  return {
    checkpoint: r.checkpoint_name,
    run_name: r.run_id.run_name,
    run_time: r.run_id.run_time,
    success: r.success,
    validations: r.run_results.map((v) => ({
      suite: v.suite,
      data_asset: v.data_asset,
      success: v.success,
      statistics: v.validation_result?.statistics ?? null,
      row_count: v.validation_result?.meta.row_count ?? null,
      failed_expectations: v.validation_result ? failedExpectations(v.validation_result) : [],
      ...(v.error !== undefined ? { error: v.error } : {}),
    })),
    action_failures: r.action_failures,
  };
}

/** Throws a QualityGateError naming each failed validation and expectation when the checkpoint failed. */
export function assertCheckpointPasses(r: CheckpointResult): CheckpointResult {
  if (r.success) return r;
  const failed = r.run_results.filter((v) => !v.success);
  const names = failed.flatMap((v) => (v.error !== undefined ? [`${v.data_asset}: ${v.error}`] : failedExpectations(v.validation_result!).map((e) => `${v.data_asset}: ${e}`)));
  throw new QualityGateError(`checkpoint '${r.checkpoint_name}' failed (run ${r.run_id.run_name}): ${failed.length} of ${r.run_results.length} validations failed: ${names.join(', ')}`, names, {
    hint: 'see the stored results or data docs of this run for observed values',
  });
}

// ---- loading checkpoint files ----

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const GE_ACTIONS: Record<string, CheckpointAction['type']> = {
  StoreValidationResultAction: 'store_validation_result',
  UpdateDataDocsAction: 'update_data_docs',
  APINotificationAction: 'webhook',
};

function parseAction(raw: unknown, baseDir: string, where: string): CheckpointAction {
  if (!isObj(raw)) throw new SuiteError(`${where}: an action must be a mapping, got ${JSON.stringify(raw)}`);
  let type: string | undefined;
  let spec: Obj;
  if (typeof raw.type === 'string') {
    type = raw.type;
    spec = raw;
  } else if (isObj(raw.action)) {
    // GE's action_list entry: { name, action: { class_name, ... } }.
    const cls = String(raw.action.class_name ?? '');
    type = GE_ACTIONS[cls];
    if (type === undefined) throw new SuiteError(`${where}: action class ${JSON.stringify(cls)} is not supported`, { hint: `supported: ${Object.keys(GE_ACTIONS).join(', ')}` });
    spec = raw.action;
  } else {
    const keys = Object.keys(raw);
    if (keys.length !== 1) throw new SuiteError(`${where}: an action is { type: ..., ... } or one key such as store_validation_result: { store: dir }`);
    type = keys[0]!;
    spec = isObj(raw[type]) ? (raw[type] as Obj) : {};
  }
  const dir = (v: unknown, fallback: string) => {
    const p = typeof v === 'string' && v !== '' ? v : fallback;
    return isAbsolute(p) ? p : resolve(baseDir, p);
  };
  let action: CheckpointAction;
  if (type === 'store_validation_result') action = { type, store: dir(spec.store ?? spec.base_directory, 'results') };
  else if (type === 'update_data_docs') action = { type, site: dir(spec.site ?? spec.base_directory, 'data_docs') };
  else if (type === 'webhook') {
    action = {
      type, url: spec.url as string,
      ...(spec.on !== undefined ? { on: spec.on as WebhookOn } : spec.notify_on !== undefined ? { on: (spec.notify_on === 'all' ? 'always' : spec.notify_on) as WebhookOn } : {}),
      ...(isObj(spec.headers) ? { headers: spec.headers as Record<string, string> } : {}),
      ...(typeof spec.timeout_ms === 'number' ? { timeoutMs: spec.timeout_ms } : {}),
    };
  } else throw new SuiteError(`${where}: unknown action ${JSON.stringify(type)}`, { hint: 'store_validation_result, update_data_docs or webhook' });
  checkAction(action, where);
  return action;
}

function parseSuiteRef(raw: unknown, baseDir: string, where: string): { suite: Suite; mapRow?: (row: Row) => Row } {
  if (typeof raw === 'string') return { suite: loadSuite(isAbsolute(raw) ? raw : resolve(baseDir, raw)) };
  if (isObj(raw) && typeof raw.contract === 'string') {
    const compiled = compileContract(loadContract(isAbsolute(raw.contract) ? raw.contract : resolve(baseDir, raw.contract)), typeof raw.model === 'string' ? raw.model : undefined);
    return { suite: compiled.suite, mapRow: compiled.coerce };
  }
  if (isObj(raw)) return { suite: parseSuite(raw, where) };
  throw new SuiteError(`${where}: 'suite' must be a suite file, an inline suite or { contract: file, model? }`);
}

const actionSpec = {
  store: z.string().optional(),
  site: z.string().optional(),
  base_directory: z.string().optional(),
  url: z.string().optional(),
  on: z.enum(['failure', 'success', 'always']).optional(),
  notify_on: z.enum(['failure', 'success', 'all', 'always']).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  timeout_ms: z.number().int().positive().optional(),
};
/** One action, in any of its three forms (one key per action type; `type:`; GE's `{ name, action: { class_name } }`). */
const actionSchema = z.strictObject({
  type: z.enum(['store_validation_result', 'update_data_docs', 'webhook']).optional(),
  name: z.string().optional(),
  action: z.strictObject({
    class_name: z.enum(Object.keys(GE_ACTIONS) as [string, ...string[]]),
    module_name: z.string().optional(),
    target_store_name: z.string().optional(),
    site_names: z.union([z.string(), z.array(z.string())]).optional(),
    notify_with: z.unknown().optional(),
    ...actionSpec,
  }).optional(),
  store_validation_result: z.strictObject({ store: actionSpec.store, base_directory: actionSpec.base_directory }).nullable().optional(),
  update_data_docs: z.strictObject({ site: actionSpec.site, base_directory: actionSpec.base_directory }).nullable().optional(),
  webhook: z.strictObject({ url: actionSpec.url, on: actionSpec.on, notify_on: actionSpec.notify_on, headers: actionSpec.headers, timeout_ms: actionSpec.timeout_ms }).optional(),
  ...actionSpec,
});
const assetSchema = z.union([
  z.string().min(1),
  z.strictObject({ path: z.string().min(1), name: z.string().optional(), format: z.enum(['csv', 'tsv', 'jsonl', 'parquet', 'delta']).optional(), version: z.number().int().min(0).optional(), timestamp: z.string().optional(), types: z.union([z.enum(['infer', 'text']), z.record(z.string(), z.enum(['number', 'boolean', 'string']))]).optional() }),
]);
const suiteRefSchema = z.union([z.string().min(1), z.strictObject({ contract: z.string().min(1), model: z.string().optional() }), z.looseObject({ expectations: z.array(z.unknown()) })]);
const validationKeys = {
  data_asset: assetSchema.optional(),
  batch_request: assetSchema.optional(),
  suite: suiteRefSchema.optional(),
  expectation_suite: suiteRefSchema.optional(),
  expectation_suite_name: z.string().optional(),
};
const checkpointSchema = z.strictObject({
  name: z.string().min(1),
  config_version: z.number().optional(),
  class_name: z.enum(['Checkpoint', 'SimpleCheckpoint']).optional(),
  module_name: z.string().optional(),
  ...validationKeys,
  validations: z.array(z.strictObject({ name: z.string().optional(), ...validationKeys })).optional(),
  actions: z.array(actionSchema).optional(),
  action_list: z.array(actionSchema).optional(),
});

/**
 * A checkpoint from parsed YAML/JSON; relative paths resolve against `baseDir`. Every mistake (unknown keys, a
 * missing suite, a bad action, errors in the suites and contracts it names) is reported at once, with lines when
 * `doc` (the file's document) is given.
 */
export function parseCheckpoint(data: unknown, baseDir: string, source = 'checkpoint', doc?: ConfigDocument): Checkpoint {
  const check = new ConfigCheck(doc ?? configFromValue(data, source));
  const hint = 'a checkpoint: name, data_asset + suite (or validations: [{ data_asset, suite }]), actions';
  const v = check.validate(checkpointSchema);
  // Past a schema mistake the rest is still checked (its suites, assets and actions), so one run reports every problem.
  if (v === undefined && !isObj(check.doc.data)) check.finish({ hint });
  const raw = check.doc.data as Obj;
  const cp = v ?? {
    name: String(raw.name ?? source),
    ...raw,
    validations: Array.isArray(raw.validations) ? raw.validations.filter(isObj) : undefined,
    actions: Array.isArray(raw.actions) ? raw.actions : undefined,
    action_list: Array.isArray(raw.action_list) ? raw.action_list : undefined,
  } as z.output<typeof checkpointSchema>;
  const entries: Array<{ at: ConfigPath; v: Obj }> = [];
  if (cp.data_asset !== undefined || cp.batch_request !== undefined || cp.suite !== undefined || cp.expectation_suite !== undefined || cp.expectation_suite_name !== undefined) entries.push({ at: [], v: cp as Obj });
  (cp.validations ?? []).forEach((x, i) => entries.push({ at: ['validations', i], v: x as Obj }));
  if (entries.length === 0) check.report([], 'the checkpoint has nothing to validate: give data_asset and suite, or validations: [{ data_asset, suite }]');
  const validations: CheckpointValidation[] = [];
  for (const { at, v: entry } of entries) {
    const assetKey = entry.data_asset !== undefined ? 'data_asset' : 'batch_request';
    const suiteKey = entry.suite !== undefined ? 'suite' : entry.expectation_suite !== undefined ? 'expectation_suite' : 'expectation_suite_name';
    // (Past a schema mistake, a missing key is most likely the mistyped one already reported.)
    if (entry[assetKey] === undefined && v !== undefined) check.report(at, 'this validation has no data_asset (a file, a glob or a Delta table directory, e.g. data_asset: data/orders.csv)');
    if (entry[suiteKey] === undefined && v !== undefined) check.report(at, 'this validation has no suite (a suite file, an inline suite or { contract: file })');
    if (entry[assetKey] === undefined || entry[suiteKey] === undefined) continue;
    const where = `validation ${at.length === 0 ? '' : `#${Number(at[1]) + 1} `}`.trim();
    const a = check.attempt([...at, assetKey], () => parseAsset(entry[assetKey], baseDir, `${where} ${assetKey}`));
    const spec = entry[suiteKey];
    const inline = isObj(spec) && Array.isArray(spec.expectations) ? checkSuite(check, [...at, suiteKey]) : undefined;
    const ref: { suite: Suite; mapRow?: (row: Row) => Row } | undefined = inline !== undefined
      ? { suite: inline }
      : isObj(spec) && Array.isArray(spec.expectations) ? undefined : check.attempt([...at, suiteKey], () => parseSuiteRef(spec, baseDir, where));
    if (a !== undefined && ref !== undefined) validations.push({ asset: a, suite: ref.suite, ...(ref.mapRow ? { mapRow: ref.mapRow } : {}) });
  }
  if (cp.actions !== undefined && cp.action_list !== undefined) check.report(['action_list'], 'give actions or action_list, not both');
  const actionsKey = cp.actions !== undefined ? 'actions' : 'action_list';
  const actions: CheckpointAction[] = [];
  if (v !== undefined) (cp.actions ?? cp.action_list ?? []).forEach((raw, i) => {
    const action = check.attempt([actionsKey, i], () => parseAction(raw, baseDir, `action #${i + 1}`));
    if (action !== undefined) actions.push(action);
  });
  check.finish({ hint });
  return checkpoint(cp.name, { validations, actions });
}

/** Loads a checkpoint file (.yaml, .yml or .json), reporting every mistake with its line. */
export function loadCheckpoint(path: string): Checkpoint {
  const doc = readConfigFile(path);
  return parseCheckpoint(doc.data, dirname(resolve(path)), path, doc);
}

/** The parts of an orchestrator task context a checkpoint task reads (structural: no dependency on the orchestrator). */
export interface CheckpointTaskContext {
  readonly signal?: AbortSignal;
  readonly logicalDate?: Date;
  log?(...args: unknown[]): void;
}

/**
 * A task body that runs a checkpoint and fails (throws QUALITY_GATE_FAILED) when it fails — the gate an orchestrator
 * puts before downstream tasks. Returns the run's JSON summary (a TaskFlow value). The run name is
 * `<checkpoint>-<logical date>` in a DAG run, so a retried or cleared task overwrites its own stored result.
 * @example
 *   g.task('orders_quality', quality.checkpointTask('quality/orders.checkpoint.yaml'));
 */
export function checkpointTask(cp: Checkpoint | string, options: { runName?: (ctx: CheckpointTaskContext) => string } = {}): (ctx?: CheckpointTaskContext) => Promise<CheckpointSummary> {
  return async (ctx = {}) => {
    const loaded = typeof cp === 'string' ? loadCheckpoint(cp) : cp;
    const runName = options.runName?.(ctx) ?? (ctx.logicalDate ? `${loaded.name}-${compactTime(ctx.logicalDate.toISOString())}` : undefined);
    const result = await runCheckpoint(loaded, { ...(runName ? { runName } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) });
    const summary = summarize(result);
    ctx.log?.(`checkpoint ${loaded.name} run ${result.run_id.run_name}: ${result.success ? 'passed' : 'FAILED'} (${summary.validations.map((v) => `${v.data_asset}/${v.suite} ${v.success ? 'pass' : 'FAIL'}`).join(', ')})${result.action_failures > 0 ? `; ${result.action_failures} action(s) failed` : ''}`);
    assertCheckpointPasses(result);
    return summary;
  };
}
