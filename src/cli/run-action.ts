import { randomBytes } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { parseCount, parseSize, type ProjectConfig } from '../config/index.ts';
import { ConfigError, RiffleError, type Pipeline, type PipelineResult, type Runner } from '../model/index.ts';
import { errorDocument, exitCodeOf, ExitCode, isRiffleError, UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import { camelCase, parseParamTokens } from './param-tokens.ts';
import { loadPipeline, paramsOf, type LoadedPipeline } from './pipeline-module.ts';
import { ProgressReporter } from './progress.ts';
import { displayPath, formatRunReport, runReportJson, stringify } from './run-report.ts';
import { describeTemplate } from './template-describe.ts';
import type { JobControl, StepSnapshot } from '../runner/index.ts';
import { checkRunnerFlags, flinkRunnerOf, readRunnerFlag, type RunnerFlags } from './flink-run-options.ts';
import { isObjectStoreUrl, ObjectStoreCheckpointStorage, openObjectStore } from '../object-store/index.ts';

/** Options of `riffle run` itself that take no value; every other `--name` is a pipeline parameter. */
const RUN_FLAGS = ['json', 'explain', 'progress', 'help', 'typecheck', 'resume'] as const;
/** Boolean flags whose option name is their camelCase name. */
const SAVEPOINT_FLAGS = ['allow-non-restored-state'] as const;

/** What the run action gets besides its tokens: its generated help, and the project's defaults (lazily). */
export interface RunContext {
  /** Prints the command's help (generated from its definition). */
  readonly showHelp: () => void;
  readonly defaults: () => Promise<ProjectConfig>;
}


/**
 * `riffle run <pipeline.ts> [--param=value ...] [--json] [--explain] [--no-progress] [--typecheck]
 * [--dead-letter PATH] [--max-errors N]`. Strategy:
 * 1. find the module path (first positional); with --typecheck, type-check it (errors exit 2 before any work); load
 *    the module and take its definition;
 * 2. re-read argv knowing which parameters are booleans (`--dry-run p.ts` must not eat the path), split CLI
 *    options from parameters and check the parameters with the definition (errors exit 2 before any work);
 * 3. load the engine, build a fresh pipeline, then explain it or run it with progress and cancellation on
 *    SIGINT/SIGTERM (exit 130/143); rejected records stream to the dead-letter file;
 * 4. report as a table or as JSON, and warn on stderr when records were rejected (count and file). With --json,
 *    failures are a JSON document too (and a message on stderr).
 */
export async function runAction(tokens: readonly string[], io: CliIO, ctx: RunContext): Promise<number> {
  const argv = tokens.map((t) => (t === '-h' ? '--help' : t));
  const first = parseParamTokens(argv, { booleans: RUN_FLAGS });
  const json = first.flags.json === true || first.flags.json === 'true';
  const path = first.positionals[0];
  try {
    if (first.flags.help !== undefined && first.flags.help !== false) return await help(path, io, ctx.showHelp);
    if (path === undefined) throw new UsageError('missing the pipeline module', { hint: 'riffle run <pipeline.ts> [--param=value ...]' });
    if (first.flags.typecheck === true) await typecheck(path, io);
    const loaded = await loadPipeline(path, io.cwd);
    const { options, params } = splitArgs(argv, loaded);
    const values = loaded.definition.parseParams(params);
    // The project's defaults are checked before any work too; flags win over the environment, which wins over the file.
    const runOptions = runOptionsOf(path, options, await ctx.defaults(), io.cwd);

    // Loaded only now, so that help, usage and parameter errors stay fast and do not depend on the engine.
    const riffle = await import('../index.ts');
    const p = riffle.Pipeline.create();
    try {
      await loaded.definition.build(p, values);
    } catch (e) {
      if (isRiffleError(e)) throw e;
      throw new RiffleError('PIPELINE_BUILD_FAILED', `building the pipeline of '${path}' failed: ${e instanceof Error ? e.message : String(e)}`, {
        domain: 'user',
        cause: e,
        hint: 'fix the pipeline function (run with RIFFLE_DEBUG=1 for the stack)',
      });
    }
    if (options.explain) {
      const description = riffle.describePlan(riffle.plan(p.graph));
      const { jobName: _job, ...given } = runOptions;
      const shown = Object.entries(given).map(([k, v]) => `${k}=${String(v)}`).join(', ');
      io.out(options.json ? stringify({ pipeline: path, plan: description.split('\n'), runOptions: given }) : `${description}${shown !== '' ? `\nrun options: ${shown}` : ''}`);
      return ExitCode.ok;
    }
    // On several workers each worker loads this module and builds the same pipeline with these values.
    const pipelineModule = { path: resolve(io.cwd, path), params: values };
    if (options.allowNonRestoredState === true && runOptions.fromSavepoint === undefined) {
      throw new UsageError('--allow-non-restored-state applies to --from-savepoint', { hint: 'e.g. riffle run p.ts --from-savepoint DIR --allow-non-restored-state' });
    }
    const control = new riffle.JobControl();
    // Under `riffle server` ($RIFFLE_JOB_EVENTS): the graph, progress and result as JSON Lines too (src/observe).
    const eventsFile = process.env.RIFFLE_JOB_EVENTS;
    const events = eventsFile ? (await import('../observe/index.ts')).openJobEvents(eventsFile, p.graph) : undefined;
    const runner = options.runner === 'flink' ? await flinkRunnerOf(options, io, options.progress) : new riffle.LocalRunner();
    const stores = await checkpointStoresOf(runOptions);
    const { result, signal, stopped } = await runWithProgress(p, runner, options.progress && options.runner !== 'flink', io, { ...runOptions, ...stores, pipelineModule, control }, events);
    events?.result(result);
    io.out(options.json ? runReportJson(path, result, io.cwd) : formatRunReport(path, result, io.cwd));
    const warning = deadLetterWarning(result, io.cwd);
    if (warning !== undefined) io.err(warning);
    // Inputs that gave nothing to read (empty files, header-only CSV files, declared columns a header lacks).
    const inputWarning = inputWarningText(result.inputWarnings ?? []);
    if (inputWarning !== undefined) io.err(inputWarning);
    // Stopped with a savepoint (SIGUSR1): a clean stop, not a cancellation.
    if (result.state === 'CANCELLED' && stopped === undefined) return signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.cancelled;
    return ExitCode.ok;
  } catch (e) {
    if (json) io.out(errorJson(path, e, io.cwd));
    throw e;
  }
}


async function help(path: string | undefined, io: CliIO, showHelp: () => void): Promise<number> {
  showHelp();
  if (path !== undefined) io.out(`\n${describeTemplate(await loadPipeline(path, io.cwd))}`);
  return ExitCode.ok;
}

export interface RunFlags extends RunnerFlags {
  json: boolean;
  explain: boolean;
  progress: boolean;
  typecheck: boolean;
  deadLetter?: string;
  maxErrors?: number;
  workers?: number;
  memoryBytes?: number;
  /** Checkpoints (issue 14): --checkpoint-dir, --checkpoint-interval, --resume, --checkpoints-retained, --restart, --max-restarts. */
  resume?: boolean;
  checkpointDir?: string;
  checkpointIntervalMs?: number;
  checkpointsRetained?: number;
  restart?: 'none' | 'fixed-delay' | 'exponential-backoff';
  maxRestarts?: number;
  /** Savepoints (issue 14): --savepoint-dir, --from-savepoint, --allow-non-restored-state. */
  savepointDir?: string;
  fromSavepoint?: string;
  allowNonRestoredState?: boolean;
}

/** The run options the CLI gives the runner. */
export interface RunOptionsGiven {
  jobName: string;
  deadLetter?: string;
  maxErrors?: number;
  workers?: number;
  memoryBytes?: number;
  checkpointDir?: string;
  checkpointIntervalMs?: number;
  checkpointsRetained?: number;
  resume?: boolean;
  restart?: { kind: 'none' | 'fixed-delay' | 'exponential-backoff'; maxRestarts: number };
  savepointDir?: string;
  fromSavepoint?: string;
  allowNonRestoredState?: boolean;
  /** The module and its parameter values, for workers to load (`--workers N`). */
  pipelineModule?: { path: string; params: Readonly<Record<string, unknown>> };
}

/** --typecheck: tsc's diagnostics on stderr and exit 2 before the module is even loaded. */
async function typecheck(path: string, io: CliIO): Promise<void> {
  const { typecheckModule } = await import('./typecheck.ts');
  const result = await typecheckModule(path, io.cwd);
  if (result.errors === 0) return;
  io.err(result.text);
  throw new ConfigError(`'${path}' does not type-check: ${result.errors} error${result.errors === 1 ? '' : 's'} (above, as tsc reports them)`, {
    hint: 'fix them, or run without --typecheck',
  });
}

/** The stderr warning after a run whose records were rejected: how many, and where they are. */
export function deadLetterWarning(result: PipelineResult, cwd: string): string | undefined {
  const count = result.deadLetterCount ?? result.deadLetters.length;
  if (count === 0) return undefined;
  const steps = [...new Set(result.deadLetters.map((d) => d.step))].slice(0, 5);
  const where = result.deadLetterPath !== undefined ? ` and written to ${displayPath(result.deadLetterPath, cwd)}` : '';
  return `warning: ${count} record${count === 1 ? ' was' : 's were'} rejected${steps.length > 0 ? ` (${steps.map((s) => `'${s}'`).join(', ')})` : ''}${where}; use --max-errors N to fail the run instead`;
}

/** The stderr warning about inputs that gave no records: how many, and the first few. */
export function inputWarningText(warnings: ReadonlyArray<{ message: string }>): string | undefined {
  if (warnings.length === 0) return undefined;
  const shown = warnings.slice(0, 5).map((w) => w.message).join('; ');
  const more = warnings.length > 5 ? `; and ${warnings.length - 5} more` : '';
  return `warning: ${warnings.length} input warning${warnings.length === 1 ? '' : 's'}: ${shown}${more}`;
}

/** Second reading of argv: CLI options, and raw parameters keyed by their declared names. */
function splitArgs(argv: readonly string[], { definition }: LoadedPipeline): { options: RunFlags; params: Record<string, string | boolean> } {
  const declared = paramsOf(definition);
  const booleanParams = declared.filter((d) => d.type === 'boolean').flatMap((d) => [d.name, kebabCase(d.name)]);
  const { positionals, flags } = parseParamTokens(argv, { booleans: [...RUN_FLAGS, ...SAVEPOINT_FLAGS, ...booleanParams] });
  if (positionals.length > 1) {
    throw new UsageError(`unexpected argument '${positionals[1]}'`, { hint: 'parameters are written --name=value; the pipeline module comes once, first' });
  }
  const options: RunFlags = { json: false, explain: false, progress: true, typecheck: false };
  const params: Record<string, string | boolean> = {};
  for (const [name, value] of Object.entries(flags)) {
    const declared = name in definition.params || camelCase(name) in definition.params;
    if ((RUN_FLAGS as readonly string[]).includes(name) && !declared) {
      options[name as 'json'] = booleanFlag(name, value);
    } else if (name === 'allow-non-restored-state' && !declared) {
      options.allowNonRestoredState = booleanFlag(name, value);
    } else if ((name === 'savepoint-dir' || name === 'from-savepoint') && !declared) {
      if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} takes a directory`, { hint: `e.g. --${name} .riffle/savepoints/my-job` });
      options[name === 'savepoint-dir' ? 'savepointDir' : 'fromSavepoint'] = value;
    } else if (name === 'dead-letter' && !declared) {
      if (typeof value !== 'string' || value === '') throw new UsageError('--dead-letter takes a path', { hint: 'e.g. --dead-letter out/rejected.jsonl' });
      options.deadLetter = value;
    } else if (name === 'max-errors' && !declared) {
      const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n)) throw new UsageError(`--max-errors takes a whole number ≥ 0 (got '${String(value)}')`, { hint: 'e.g. --max-errors 100; 0 fails the run on the first rejected record' });
      options.maxErrors = n;
    } else if (name === 'workers' && !declared) {
      options.workers = parseCount(typeof value === 'string' ? value : String(value), '--workers');
    } else if (name === 'memory' && !declared) {
      options.memoryBytes = parseSize(typeof value === 'string' ? value : String(value), '--memory');
    } else if (name === 'checkpoint-dir' && !declared) {
      if (typeof value !== 'string' || value === '') throw new UsageError('--checkpoint-dir takes a directory', { hint: 'e.g. --checkpoint-dir .riffle/checkpoints/my-job' });
      options.checkpointDir = value;
    } else if (name === 'checkpoint-interval' && !declared) {
      options.checkpointIntervalMs = checkpointDuration(value);
    } else if (name === 'checkpoints-retained' && !declared) {
      options.checkpointsRetained = parseCount(typeof value === 'string' ? value : String(value), '--checkpoints-retained');
    } else if (name === 'restart' && !declared) {
      if (value !== 'none' && value !== 'fixed-delay' && value !== 'exponential-backoff') {
        throw new UsageError(`--restart takes none, fixed-delay or exponential-backoff (got '${String(value)}')`, { hint: 'e.g. --restart fixed-delay --max-restarts 3' });
      }
      options.restart = value;
    } else if (name === 'max-restarts' && !declared) {
      const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n)) throw new UsageError(`--max-restarts takes a whole number ≥ 0 (got '${String(value)}')`, { hint: 'e.g. --max-restarts 3' });
      options.maxRestarts = n;
    } else if (!declared && readRunnerFlag(name, value, options)) {
      // --runner, --flink-master, --parallelism (flink-run-options.ts)
    } else {
      params[name in definition.params ? name : camelCase(name) in definition.params ? camelCase(name) : name] = value;
    }
  }
  checkRunnerFlags(options as RunFlags & Readonly<Record<string, unknown>>);
  return { options, params };
}

/**
 * The options the runner gets: each from its flag, else the project's defaults (the environment over the project
 * file), else absent (the runner's own default).
 */
export function runOptionsOf(path: string, options: RunFlags, defaults: ProjectConfig, cwd: string): RunOptionsGiven {
  const workers = options.workers ?? defaults.workers;
  const memoryBytes = options.memoryBytes ?? defaults.memoryBytes;
  const jobName = basename(path).replace(/\.[cm]?[jt]s$/, '');
  const deadLetter = options.deadLetter !== undefined ? resolve(cwd, options.deadLetter) : defaults.deadLetterDir !== undefined ? resolve(cwd, defaults.deadLetterDir, `${jobName}-${runStamp()}.jsonl`) : undefined;
  return {
    jobName,
    ...(deadLetter !== undefined ? { deadLetter } : {}),
    ...(options.maxErrors !== undefined ? { maxErrors: options.maxErrors } : {}),
    ...(workers !== undefined ? { workers } : {}),
    ...(memoryBytes !== undefined ? { memoryBytes } : {}),
    ...checkpointOptionsOf(options, defaults, cwd),
    ...(options.savepointDir !== undefined ? { savepointDir: locationOf(options.savepointDir, cwd) } : {}),
    ...(options.fromSavepoint !== undefined ? { fromSavepoint: locationOf(options.fromSavepoint, cwd) } : {}),
    ...(options.allowNonRestoredState === true ? { allowNonRestoredState: true } : {}),
  };
}

/** A checkpoint or savepoint location: an object store's URL as it is (no trailing slash), else a path from `cwd`. */
function locationOf(given: string, cwd: string): string {
  return isObjectStoreUrl(given) ? given.replace(/\/+$/, '') : resolve(cwd, given);
}

/**
 * The object stores of `--checkpoint-dir`, `--savepoint-dir` and `--from-savepoint` URLs, opened before the run starts;
 * local directories the runner opens itself. A savepoint store is listed once here: a bad URL or missing credentials
 * are refused before any work, and the store's client is loaded (the Azure SDK takes seconds to load on a busy machine:
 * a SIGUSR1 then found the job finished before its savepoint began).
 */
async function checkpointStoresOf(options: RunOptionsGiven): Promise<{ checkpointStorage?: ObjectStoreCheckpointStorage; savepointStorage?: (location: string) => ObjectStoreCheckpointStorage | undefined }> {
  const dir = options.checkpointDir;
  const savepoints = new Map<string, ObjectStoreCheckpointStorage>();
  for (const at of [options.savepointDir, options.fromSavepoint]) {
    if (at !== undefined && isObjectStoreUrl(at) && !savepoints.has(at)) savepoints.set(at, new ObjectStoreCheckpointStorage(openObjectStore(at)));
  }
  for (const storage of savepoints.values()) await storage.ids();
  return {
    ...(dir !== undefined && isObjectStoreUrl(dir) ? { checkpointStorage: new ObjectStoreCheckpointStorage(openObjectStore(dir)) } : {}),
    ...(savepoints.size > 0 ? { savepointStorage: (location: string) => savepoints.get(location) } : {}),
  };
}

/**
 * Checkpoints are on when an interval is given (or --resume): in --checkpoint-dir, else the project's checkpointDir.
 * Without either flag the project's directory is only passed on (where a run would keep them).
 */
function checkpointOptionsOf(options: RunFlags, defaults: ProjectConfig, cwd: string): Partial<RunOptionsGiven> {
  const given = options.checkpointDir ?? defaults.checkpointDir;
  // An object-store URL (s3://, az://, abfss://) stays a URL: the run keeps its checkpoints there (checkpointStorageOf).
  const dir = given === undefined ? undefined : locationOf(given, cwd);
  // With --runner=flink, --checkpoint-interval is Flink's own checkpointing (flink-run-options.ts): nothing here.
  if (options.runner === 'flink') return {};
  const on = options.checkpointIntervalMs !== undefined || options.resume === true || options.checkpointDir !== undefined;
  if (on && dir === undefined) {
    throw new UsageError('checkpoints need a directory: --checkpoint-dir DIR (or checkpointDir in riffle.config.yaml)', { hint: 'e.g. riffle run p.ts --checkpoint-dir .riffle/checkpoints/p --checkpoint-interval 10s' });
  }
  if (!on && (options.restart !== undefined || options.maxRestarts !== undefined || options.checkpointsRetained !== undefined)) {
    throw new UsageError('--restart, --max-restarts and --checkpoints-retained apply to checkpointed runs', { hint: 'add --checkpoint-interval 10s (and --checkpoint-dir DIR)' });
  }
  if (!on) return dir !== undefined ? { checkpointDir: dir } : {};
  const restartKind = options.restart ?? (options.maxRestarts !== undefined ? 'fixed-delay' : undefined);
  return {
    checkpointDir: dir!,
    checkpointIntervalMs: options.checkpointIntervalMs ?? 10_000,
    ...(options.checkpointsRetained !== undefined ? { checkpointsRetained: options.checkpointsRetained } : {}),
    ...(options.resume === true ? { resume: true } : {}),
    ...(restartKind !== undefined ? { restart: { kind: restartKind, maxRestarts: restartKind === 'none' ? 0 : (options.maxRestarts ?? 3) } } : {}),
  };
}

/** `--checkpoint-interval`: 500ms, 10s, 2m, 1h (a bare number is milliseconds). */
function checkpointDuration(value: string | boolean): number {
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value) : null;
  const ms = m ? Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms']) : NaN;
  if (!(ms >= 1)) throw new UsageError(`--checkpoint-interval takes a duration such as 500ms, 10s or 2m (got '${String(value)}')`, { hint: 'e.g. --checkpoint-interval 10s' });
  return ms;
}

/** `20261206T214500Z-3f9a2c`: a name for this run's dead-letter file in the project's dead-letter directory. */
function runStamp(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

function booleanFlag(name: string, value: string | boolean): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new UsageError(`option --${name} takes no value (got '${value}')`, { hint: `write --${name} or --no-${name}` });
}

function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Runs with progress on stderr, and cancels on the first SIGINT or SIGTERM (the engine stops at its next slice, sinks
 * remove their temporary files); a second signal stops the process at once. Resolves with the signal, if any.
 */
async function runWithProgress(
  p: Pipeline,
  runner: Runner,
  showProgress: boolean,
  io: CliIO,
  runOptions: RunOptionsGiven & { control: JobControl },
  events?: { progress(p: Parameters<ProgressReporter['update']>[0]): void; steps(s: readonly StepSnapshot[]): void },
): Promise<{ result: PipelineResult; signal: NodeJS.Signals | undefined; stopped: string | undefined }> {
  const controller = new AbortController();
  const { control } = runOptions;
  // SIGUSR1: stop with a savepoint into --savepoint-dir; SIGUSR2: drain (job-control.ts).
  let stopped: string | undefined;
  const onSavepoint = () => {
    const dir = runOptions.savepointDir;
    if (dir === undefined) {
      io.err('SIGUSR1: no --savepoint-dir was given, so no savepoint can be taken; the job goes on');
      return;
    }
    io.err(`SIGUSR1: stopping the job with a savepoint into ${dir}`);
    control.savepoint(dir).then(
      (path) => (stopped = path),
      (e: unknown) => io.err(`SIGUSR1: the savepoint failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  };
  const onDrain = () => {
    io.err('SIGUSR2: draining the job (reading stops, every window fires, sinks commit)');
    control.drain();
  };
  process.on('SIGUSR1', onSavepoint);
  process.on('SIGUSR2', onDrain);
  const reporter = showProgress ? new ProgressReporter(io.progress) : undefined;
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.cancelled);
    received = signal;
    reporter?.finish();
    io.err(`${signal === 'SIGINT' ? 'interrupted' : signal}: cancelling the job (Ctrl-C again to stop at once)`);
    controller.abort();
  };
  const timer = reporter ? setInterval(() => reporter.tick(), io.progress.isTTY ? 1000 : 5000) : undefined;
  timer?.unref();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await p.run({ runner, signal: controller.signal, ...runOptions, onProgress: reporter || events ? (x: Parameters<ProgressReporter['update']>[0]) => (reporter?.update(x), events?.progress(x)) : undefined, ...(events !== undefined ? { onStepMetrics: (steps: readonly StepSnapshot[]) => events.steps(steps) } : {}) });
    return { result, signal: received, stopped };
  } finally {
    process.off('SIGUSR1', onSavepoint);
    process.off('SIGUSR2', onDrain);
    clearInterval(timer);
    reporter?.finish();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A failure as JSON: what went wrong, where, and what to do (the shape of errorDocument, with the pipeline and state). */
function errorJson(path: string | undefined, error: unknown, cwd: string): string {
  const doc = errorDocument(error, cwd);
  const step = isRiffleError(error) && typeof error.context?.step === 'string' ? error.context.step : null;
  return stringify({
    pipeline: path ?? null,
    state: exitCodeOf(error) === ExitCode.usage ? 'INVALID' : 'FAILED',
    error: { ...doc.error, step },
  });
}
