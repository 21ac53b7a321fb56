import { RiffleError, type Pipeline, type PipelineResult, type Runner } from '../model/index.ts';
import { camelCase, parseArgs } from './args.ts';
import { exitCodeOf, ExitCode, UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import { RUN_HELP } from './help.ts';
import { loadPipeline, paramsOf, type LoadedPipeline } from './pipeline-module.ts';
import { ProgressReporter } from './progress.ts';
import { formatRunReport, runReportJson, stringify } from './run-report.ts';
import { describeTemplate } from './template-command.ts';

/** Options of `riffle run` itself; every other `--name` is a pipeline parameter. */
const RUN_FLAGS = ['json', 'explain', 'progress', 'help'] as const;

/**
 * `riffle run <pipeline.ts> [--param=value ...] [--json] [--explain] [--no-progress]`. Strategy:
 * 1. find the module path (first positional), load the module and take its definition;
 * 2. re-read argv knowing which parameters are booleans (`--dry-run p.ts` must not eat the path), split CLI
 *    options from parameters and check the parameters with the definition (errors exit 2 before any work);
 * 3. load the engine, build a fresh pipeline, then explain it or run it with progress and Ctrl-C cancellation;
 * 4. report as a table or as JSON. With --json, failures are a JSON document too (and a message on stderr).
 */
export async function runCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const first = parseArgs(argv, { booleans: RUN_FLAGS });
  const json = first.flags.json === true || first.flags.json === 'true';
  const path = first.positionals[0];
  try {
    if (first.flags.help !== undefined && first.flags.help !== false) return await help(path, io);
    if (path === undefined) throw new UsageError('missing the pipeline module', { hint: 'riffle run <pipeline.ts> [--param=value ...]' });
    const loaded = await loadPipeline(path, io.cwd);
    const { options, params } = splitArgs(argv, loaded);
    const values = loaded.definition.parseParams(params);

    // Loaded only now, so that help, usage and parameter errors stay fast and do not depend on the engine.
    const riffle = await import('../index.ts');
    const p = riffle.Pipeline.create();
    await loaded.definition.build(p, values);
    if (options.explain) {
      const description = riffle.describePlan(riffle.plan(p.graph));
      io.out(options.json ? stringify({ pipeline: path, plan: description.split('\n') }) : description);
      return ExitCode.ok;
    }
    const result = await runWithProgress(p, new riffle.LocalRunner(), options.progress, io);
    io.out(options.json ? runReportJson(path, result) : formatRunReport(path, result));
    return result.state === 'CANCELLED' ? ExitCode.cancelled : ExitCode.ok;
  } catch (e) {
    if (json) io.out(errorJson(path, e));
    throw e;
  }
}

async function help(path: string | undefined, io: CliIO): Promise<number> {
  io.out(RUN_HELP);
  if (path !== undefined) io.out(`\n${describeTemplate(await loadPipeline(path, io.cwd))}`);
  return ExitCode.ok;
}

interface RunFlags {
  json: boolean;
  explain: boolean;
  progress: boolean;
}

/** Second reading of argv: CLI options, and raw parameters keyed by their declared names. */
function splitArgs(argv: readonly string[], { definition }: LoadedPipeline): { options: RunFlags; params: Record<string, string | boolean> } {
  const declared = paramsOf(definition);
  const booleanParams = declared.filter((d) => d.type === 'boolean').flatMap((d) => [d.name, kebabCase(d.name)]);
  const { positionals, flags } = parseArgs(argv, { booleans: [...RUN_FLAGS, ...booleanParams] });
  if (positionals.length > 1) {
    throw new UsageError(`unexpected argument '${positionals[1]}'`, { hint: 'parameters are written --name=value; the pipeline module comes once, first' });
  }
  const options: RunFlags = { json: false, explain: false, progress: true };
  const params: Record<string, string | boolean> = {};
  for (const [name, value] of Object.entries(flags)) {
    if ((RUN_FLAGS as readonly string[]).includes(name) && !(name in definition.params)) {
      options[name as keyof RunFlags] = booleanFlag(name, value);
    } else {
      params[name in definition.params ? name : camelCase(name) in definition.params ? camelCase(name) : name] = value;
    }
  }
  return { options, params };
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

/** Runs with progress on stderr, and cancels on the first Ctrl-C (the second one stops the process at once). */
async function runWithProgress(p: Pipeline, runner: Runner, showProgress: boolean, io: CliIO): Promise<PipelineResult> {
  const controller = new AbortController();
  const reporter = showProgress ? new ProgressReporter(io.progress) : undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(ExitCode.cancelled);
    reporter?.finish();
    io.err(`${signal === 'SIGINT' ? 'interrupted' : signal}: cancelling the job (Ctrl-C again to stop at once)`);
    controller.abort();
  };
  const timer = reporter ? setInterval(() => reporter.tick(), io.progress.isTTY ? 1000 : 5000) : undefined;
  timer?.unref();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await p.run({ runner, signal: controller.signal, onProgress: reporter ? (x: Parameters<ProgressReporter['update']>[0]) => reporter.update(x) : undefined });
  } finally {
    clearInterval(timer);
    reporter?.finish();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A failure as JSON: what went wrong, where, and what to do. */
function errorJson(path: string | undefined, e: unknown): string {
  const riffle = e instanceof RiffleError ? e : undefined;
  const message = e instanceof Error ? e.message : String(e);
  return stringify({
    pipeline: path ?? null,
    state: exitCodeOf(e) === ExitCode.usage ? 'INVALID' : 'FAILED',
    error: {
      code: riffle?.code ?? 'UNEXPECTED',
      message: riffle?.hint ? message.slice(0, message.lastIndexOf('\n  hint: ')) : message,
      hint: riffle?.hint ?? null,
      step: riffle?.context.step ?? null,
    },
  });
}
