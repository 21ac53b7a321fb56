/**
 * `riffle run <pipeline.ts> --runner=flink`: a Runner that runs a pipeline module on Apache Flink through Beam's
 * portability framework. Strategy:
 * 1. translate the graph (an untranslatable step is refused here, before anything starts, naming it);
 * 2. fetch Beam's Flink job server into the cache on first use and start it (`--flink-master`: `[local]`, an
 *    embedded cluster, or a JobManager's host:port);
 * 3. the harness environment: PROCESS (default) — Flink starts `riffle harness` through a small wrapper that runs it
 *    in the caller's working directory (relative paths of the module and its parameters resolve as in a local run),
 *    its stderr kept in a log file because Beam discards it — or LOOPBACK: a worker pool in this process (EXTERNAL);
 * 4. submit (prepare, stage the module, run), report each state change, cancel on the signal;
 * 5. DONE resolves with the result, its metrics read through the Job API (GetJobMetrics: elements per step and user
 *    metrics, from the harness's MonitoringInfos); FAILED (or any other end) rejects with `PORTABLE_JOB_FAILED` naming the failure
 *    (the harness's or Flink's first error line).
 * @example
 *   await p.run({ runner: new FlinkRunner({ flinkMaster: '[local]' }), pipelineModule: { path: '/abs/p.ts', params: {} } });
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { RiffleError, sinkReports, type PipelineGraph, type PipelineMetrics, type PipelineResult, type Runner, type RunOptions } from '../../model/index.ts';
import { jobMetrics } from './job-metrics.ts';
import { JobClient, jobStateName, type SubmittedJob } from './job-client.ts';
import { startFlinkJobServer, type JobServer } from './job-server.ts';
import { translatePipeline } from './translate.ts';
import type { HarnessEnvironment } from './translate-environment.ts';
import { startWorkerPool, type WorkerPool } from './worker-pool.ts';

export interface FlinkRunnerOptions {
  /** `[local]` (default), `[auto]` or a JobManager's host:port. */
  readonly flinkMaster?: string;
  /** Flink's parallelism (default: Flink's, 1 on `[local]` here). */
  readonly parallelism?: number;
  /**
   * Flink's checkpointing interval (Beam's `checkpointing_interval`; default: no checkpoints). A streaming job (an
   * unbounded read) then checkpoints its reads' residuals and its state, and a restart restores the last checkpoint.
   * Beam's streaming impulse would then stay up for ever: it is told to shut down once idle for one interval
   * (`shutdown_sources_after_idle_ms`), so a job whose reads end (their watermark reaches +∞) ends. Checkpoints are
   * unaligned (`unaligned_checkpoint_enabled`): the harness's stages are slower than its reads, and an aligned barrier
   * waits behind every buffered element of a backpressured stage (measured: a stream fixture's first checkpoint on a
   * 2-TaskManager cluster was still in progress after 3 min, stuck at its stateful stage).
   */
  readonly checkpointIntervalMs?: number;
  /** How Flink reaches the harness: `process` (Flink starts `riffle harness`, default) or `loopback` (this process). */
  readonly harness?: 'process' | 'loopback';
  /** Each state the job goes through, with the milliseconds since the run started. */
  readonly onState?: (state: string, elapsedMs: number) => void;
  /** Diagnostics (job server start, where the harness logs); default: nothing. */
  readonly log?: (line: string) => void;
  /** The job server's cache directory (default `${RIFFLE_CACHE:-~/.cache/riffle}`). */
  readonly cacheDir?: string;
  /** A job server already running (its `flinkMaster` is its own): used and left running, instead of one per run. */
  readonly server?: JobServer;
}

/** What the CLI gives every runner: the module path and parameter values the harness rebuilds the pipeline from. */
interface ModuleRunOptions extends RunOptions {
  pipelineModule?: { path: string; params: Readonly<Record<string, unknown>> };
}

export class FlinkRunner implements Runner {
  readonly name = 'flink';

  constructor(private readonly opts: FlinkRunnerOptions = {}) {}

  async run(graph: PipelineGraph, options: ModuleRunOptions): Promise<PipelineResult> {
    const started = Date.now();
    const module = options.pipelineModule;
    if (module === undefined) {
      throw new RiffleError('PORTABLE_NEEDS_MODULE', 'the Flink runner runs pipeline modules: the harness rebuilds the pipeline from its module and parameters', {
        domain: 'user',
        hint: 'riffle run <pipeline.ts> --runner=flink',
      });
    }
    const path = resolve(module.path);
    const work = mkdtempSync(join(tmpdir(), 'riffle-flink-'));
    const harnessLog = join(work, 'harness.log');
    const loopback = this.opts.harness === 'loopback';
    const files = [{ path, stagedName: basename(path) }];
    // 1. Translate first: an untranslatable step fails here, before the job server starts.
    const placeholder: HarnessEnvironment = { kind: 'process', command: harnessWrapper(work, harnessLog) };
    translatePipeline(graph, { pipeline: { module: path, params: module.params }, environment: placeholder, files });
    let server: JobServer | undefined;
    let pool: WorkerPool | undefined;
    let jobs: JobClient | undefined;
    const messages: string[] = [];
    let keepLog = false;
    try {
      server = this.opts.server ?? await startFlinkJobServer({ flinkMaster: this.opts.flinkMaster ?? '[local]', ...(this.opts.cacheDir ? { cacheDir: this.opts.cacheDir } : {}), ...(this.opts.log ? { log: () => undefined } : {}) });
      if (this.opts.server === undefined) this.opts.log?.(`Flink job server (Beam 2.62.0) listening at ${server.jobEndpoint} after ${(server.startMs / 1000).toFixed(1)} s`);
      let environment: HarnessEnvironment = placeholder;
      if (loopback) {
        pool = await startWorkerPool({ host: '127.0.0.1', log: (l) => appendLine(harnessLog, l) });
        environment = { kind: 'external', url: pool.endpoint };
      }
      const { pipeline, pcollectionIds } = translatePipeline(graph, { pipeline: { module: path, params: module.params }, environment, files });
      jobs = new JobClient(server.jobEndpoint);
      const job = await jobs.submit(pipeline, {
        jobName: String(options.jobName ?? basename(path).replace(/\.[cm]?[jt]s$/, '')),
        options: {
          ...(this.opts.parallelism !== undefined ? { parallelism: this.opts.parallelism } : {}),
          ...(this.opts.checkpointIntervalMs !== undefined ? { checkpointing_interval: this.opts.checkpointIntervalMs, shutdown_sources_after_idle_ms: this.opts.checkpointIntervalMs, unaligned_checkpoint_enabled: true } : {}),
        },
        files: [path],
      });
      const follow = followMessages(job, messages);
      const onAbort = () => void job.cancel().catch(() => undefined);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      let final: string;
      try {
        final = jobStateName(await job.waitUntilFinish((s) => this.opts.onState?.(jobStateName(s), Date.now() - started)));
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
      }
      await Promise.race([follow, new Promise((r) => setTimeout(r, 2_000).unref())]);
      if (final === 'DONE') {
        // The job's figures (elements per step, user metrics) through the Job API, as a local run reports them.
        let metrics: PipelineMetrics | undefined;
        try {
          metrics = jobMetrics(graph, pcollectionIds, await job.metrics());
        } catch (e) {
          this.opts.log?.(`the job's metrics could not be read: ${e instanceof Error ? e.message : String(e)}`);
        }
        return result('DONE', graph, started, metrics);
      }
      if (final === 'CANCELLED' && options.signal?.aborted) return result('CANCELLED', graph, started);
      const why = failureLine([...messages, ...(existsSync(harnessLog) ? readFileSync(harnessLog, 'utf8').split('\n') : []), ...server.recentLog()]);
      throw new RiffleError('PORTABLE_JOB_FAILED', `the Flink job ended ${final}${why !== undefined ? `: ${why}` : ''}`, {
        domain: 'user',
        hint: `the harness's log: ${harnessLog}`,
      });
    } catch (e) {
      // Keep the harness's log of a failed run (the error's hint names it).
      keepLog = true;
      throw e;
    } finally {
      jobs?.close();
      await pool?.stop();
      if (this.opts.server === undefined) await server?.stop();
      if (!keepLog) rmSync(work, { recursive: true, force: true });
    }
  }
}

function result(state: 'DONE' | 'CANCELLED', graph: PipelineGraph, started: number, metrics?: PipelineMetrics): PipelineResult {
  return { state, metrics: metrics ?? { steps: [], counters: {}, distributions: {}, gauges: {} }, deadLetters: [], durationMs: Date.now() - started, sinks: sinkReports(graph) };
}

async function followMessages(job: SubmittedJob, into: string[]): Promise<void> {
  try {
    for await (const e of job.events()) if (e.kind === 'message') into.push(e.message.messageText);
  } catch {
    // The stream ends with the job server.
  }
}

/** The most telling line of a failure: the harness's refusal or a step's failure first, else the first exception. */
export function failureLine(lines: readonly string[]): string | undefined {
  const all = lines.flatMap((l) => l.split('\n')).map((l) => l.trim()).filter((l) => l !== '');
  const pick = all.find((l) => /cannot run transform|step '[^']+' failed/.test(l)) ?? all.find((l) => /Exception|Error:/.test(l));
  if (pick === undefined) return undefined;
  const m = /(Riffle's harness cannot run transform.*|step '[^']+' failed.*)$/.exec(pick);
  const text = m ? m[1]! : pick;
  return text.length > 600 ? `${text.slice(0, 597)}...` : text;
}

/**
 * The PROCESS environment's command: `riffle harness` in this working directory, its stdout (what the pipeline's
 * functions print) and stderr appended to `log` (Beam's process environments discard both). Beam runs the command with `--id=… --provision_endpoint=…`.
 */
function harnessWrapper(dir: string, log: string): string {
  const command = join(dir, 'riffle-harness.sh');
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  writeFileSync(command, `#!/bin/sh\ncd ${q(process.cwd())} && exec ${q(process.execPath)} ${q(riffleBin())} harness "$@" >>${q(log)} 2>&1\n`);
  chmodSync(command, 0o755);
  return command;
}

/** The `riffle` command of this installation (bin/riffle.js beside the package.json above this file). */
export function riffleBin(): string {
  let dir = dirname(new URL(import.meta.url).pathname);
  for (;;) {
    const bin = join(dir, 'bin', 'riffle.js');
    if (existsSync(bin) && existsSync(join(dir, 'package.json'))) return bin;
    const up = dirname(dir);
    if (up === dir) throw new RiffleError('PORTABLE_NO_RIFFLE_BIN', "the Flink runner could not find Riffle's bin/riffle.js to start the harness", { domain: 'internal' });
    dir = up;
  }
}

function appendLine(file: string, line: string): void {
  try {
    writeFileSync(file, `${line}\n`, { flag: 'a' });
  } catch {
    // A log line is not worth failing the run.
  }
}
