/**
 * The server's jobs: each one is `riffle run <pipeline> --json --no-progress --<param>=<value> ...` in a child
 * process, in the project directory, with its report in stdout.json, its log in log.txt and its events (graph,
 * progress, result) in events.jsonl (src/observe/job-events.ts), all in DIR/jobs/<id>/.
 * Strategy of a submission:
 * 1. check the path and parameter names here (job-submission.ts), write the record as pending, start the child;
 * 2. wait until the child writes its graph (its parameters passed the pipeline's declaration and the pipeline was
 *    built: it runs) or exits first (the submission was invalid: the record and its directory are removed and the
 *    CLI's error becomes a 400 naming the file and the key); after 30 s the job stays pending and is answered so;
 * 3. when the child exits, its exit code gives the final state (0 succeeded, 130/143 cancelled, else failed) and
 *    the result event the per-step counts; the record is saved at every change.
 * Cancel sends SIGTERM (the run cancels and removes its temporary output; SIGKILL after a grace period); drain
 * sends SIGUSR2 (reading stops, windows fire, sinks commit, exit 0), as `riffle run` documents.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseJobEvents, runEvent, type JobDataset, type JobEvent, type RiffleMetrics, type RunEvent } from '../observe/index.ts';
import { ApiError } from './api-error.ts';
import type { TemplateDescription } from './api-schemas.ts';
import { ACTIVE_JOB_STATES, countsOf, jobDir, loadJobs, saveJob, type JobRecord, type JobState, type ParamValue } from './job-record.ts';
import { checkPipelinePath, keyOfParamError, paramTokens } from './job-submission.ts';
import { errorDocumentOf, runRiffle, spawnRiffle } from './riffle-child.ts';
import { deadLetterFiles, readDeadLetters, type DeadLetter } from './dead-letters.ts';
import { ensureDir } from './server-dir.ts';
import { StepHistory } from './step-history.ts';

export interface JobManagerOptions {
  readonly jobsDir: string;
  readonly projectDir: string;
  readonly metrics?: RiffleMetrics;
  /** How long a submission waits for the child to start running before answering "pending" (default 30 s). */
  readonly startWaitMs?: number;
  /** Between SIGTERM and SIGKILL on cancel (default 30 s). */
  readonly killGraceMs?: number;
  readonly log?: (line: string) => void;
  /** Receives the OpenLineage RunEvents of the jobs (START, then COMPLETE, FAIL or ABORT). */
  readonly lineage?: (event: RunEvent) => void;
  /** The producer URI of those events. */
  readonly lineageProducer?: string;
}

interface Active {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  eventsOffset: number;
  started: boolean;
  /** The job's live step figures (its `steps` events). */
  readonly steps: StepHistory;
  killTimer?: NodeJS.Timeout;
}

export class JobManager {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly active = new Map<string, Active>();
  private readonly poller: NodeJS.Timeout;
  /** Moves on every change of a record (listJson's cache key). */
  private version = 0;
  private cachedVersion = -1;
  private readonly cache = new Map<string, string>();
  /** Step histories of ended jobs read back from their files (a few). */
  private readonly endedSteps = new Map<string, StepHistory>();

  constructor(private readonly o: JobManagerOptions) {
    ensureDir(o.jobsDir);
    for (const job of loadJobs(o.jobsDir)) this.jobs.set(job.id, job);
    // Live counts of running jobs, from their event files.
    this.poller = setInterval(() => {
      for (const id of this.active.keys()) this.readEvents(id);
    }, 1000);
    this.poller.unref();
  }

  /**
   * `{"jobs": [...]}` as JSON text, kept until a job changes: the console and its users poll the list, and encoding
   * a hundred records for each request would be most of the server's work.
   */
  listJson(filter: { state?: JobState; limit?: number; namespaces?: readonly string[] | null } = {}): string {
    if (this.cachedVersion !== this.version) {
      this.cache.clear();
      this.cachedVersion = this.version;
    }
    const key = `${filter.state ?? ''}|${filter.limit ?? ''}|${filter.namespaces?.join(',') ?? '*'}`;
    let text = this.cache.get(key);
    if (text === undefined) {
      text = JSON.stringify({ jobs: this.list(filter) });
      if (this.cache.size > 100) this.cache.clear();
      this.cache.set(key, text);
    }
    return text;
  }

  list(filter: { state?: JobState; limit?: number; namespaces?: readonly string[] | null } = {}): JobRecord[] {
    let jobs = [...this.jobs.values()].reverse();
    const allowed = filter.namespaces;
    if (allowed !== undefined && allowed !== null) jobs = jobs.filter((j) => allowed.includes(j.namespace));
    if (filter.state !== undefined) jobs = jobs.filter((j) => j.state === filter.state);
    return filter.limit !== undefined ? jobs.slice(0, filter.limit) : jobs;
  }

  get(id: string): JobRecord {
    const job = this.jobs.get(id);
    if (job === undefined) throw new ApiError(404, 'JOB_NOT_FOUND', `no job '${id}'`, 'GET /api/jobs lists the jobs');
    if (this.active.has(id)) this.readEvents(id);
    return job;
  }

  countByState(): Record<JobState, number> {
    const counts: Record<JobState, number> = { pending: 0, running: 0, draining: 0, succeeded: 0, failed: 0, cancelled: 0 };
    for (const j of this.jobs.values()) counts[j.state]++;
    return counts;
  }

  /** Submits a job (see the strategy above); resolves with its record once it runs (or after the wait, pending). */
  async submit(pipeline: string, params: Readonly<Record<string, ParamValue>>, submittedBy: string | null, namespace = 'default'): Promise<JobRecord> {
    const path = checkPipelinePath(this.o.projectDir, pipeline);
    const tokens = paramTokens(path, params);
    const id = `job-${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
    const dir = jobDir(this.o.jobsDir, id);
    ensureDir(dir);
    const job: JobRecord = {
      id, pipeline: path, params: { ...params }, namespace, state: 'pending', submittedBy, createdAt: new Date().toISOString(), startedAt: null, endedAt: null, pid: null,
      exitCode: null, signal: null, reason: null, cancelRequestedAt: null, drainRequestedAt: null, counts: null,
    };
    this.save(job);
    this.jobs.set(id, job);

    const out = openSync(join(dir, 'stdout.json'), 'w', 0o600);
    const err = openSync(join(dir, 'log.txt'), 'w', 0o600);
    let child: ChildProcess;
    try {
      // './' keeps a module named like an option ('-x.ts') a path.
      child = spawnRiffle(['run', `./${path}`, '--json', '--no-progress', ...tokens], { cwd: this.o.projectDir, stdio: ['ignore', out, err], env: { RIFFLE_JOB_EVENTS: join(dir, 'events.jsonl'), RIFFLE_DEAD_LETTER_DIR: join(dir, 'dead-letters') } });
    } catch (e) {
      // Nothing started: no record either.
      this.jobs.delete(id);
      this.version++;
      rmSync(dir, { recursive: true, force: true });
      throw e;
    } finally {
      closeSync(out);
      closeSync(err);
    }
    job.pid = child.pid ?? null;
    this.save(job);
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const exited = new Promise<void>((resolve) => {
      child.once('error', (e) => {
        exit = { code: null, signal: null };
        job.reason = `could not start the job's process: ${e.message}`;
        resolve();
      });
      child.once('exit', (code, signal) => {
        exit = { code, signal };
        resolve();
      });
    });
    const active: Active = { child, exited, eventsOffset: 0, started: false, steps: new StepHistory() };
    this.active.set(id, active);

    // 2. Until it runs or exits.
    const deadline = Date.now() + (this.o.startWaitMs ?? 30_000);
    while (exit === undefined && !this.readEvents(id).started && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    this.readEvents(id);
    if (!active.started && exit !== undefined && job.cancelRequestedAt === null) {
      // Never ran: an invalid submission.
      this.active.delete(id);
      this.jobs.delete(id);
      this.version++;
      const doc = errorDocumentOf(readText(join(dir, 'stdout.json')));
      const log = readText(join(dir, 'log.txt'));
      rmSync(dir, { recursive: true, force: true });
      if (doc !== undefined) throw new ApiError(400, doc.code, doc.message, doc.hint ?? undefined, { file: path, key: keyOfParamError(doc.message), expected: doc.hint });
      throw new ApiError(400, 'JOB_START_FAILED', `the job's process ended before running (${describeExit(exit.code, exit.signal)})${firstErrorLine(log) ? `: ${firstErrorLine(log)}` : ''}`, 'check the pipeline module with riffle run', { file: path, key: null, expected: null });
    }
    void exited.then(() => this.finish(id, exit!));
    return job;
  }

  /** `riffle template describe --json` of a module (in a child process: the module's code does not run here). */
  async describe(pipeline: string): Promise<TemplateDescription> {
    const path = checkPipelinePath(this.o.projectDir, pipeline);
    const { code, stdout, stderr } = await runRiffle(['template', 'describe', `./${path}`, '--json'], this.o.projectDir);
    if (code === 0) {
      const doc = JSON.parse(stdout) as TemplateDescription;
      return { ...doc, pipeline: path };
    }
    const error = errorDocumentOf(stdout);
    throw new ApiError(400, error?.code ?? 'TEMPLATE_DESCRIBE_FAILED', error?.message ?? (stderr.trim().split('\n')[0] || `riffle template describe failed with exit code ${code}`), error?.hint ?? undefined, { file: path, key: 'pipeline', expected: 'a pipeline module (export default Pipeline.define(...))' });
  }

  cancel(id: string): JobRecord {
    const job = this.get(id);
    const active = this.active.get(id);
    if (active === undefined || !ACTIVE_JOB_STATES.includes(job.state)) throw new ApiError(409, 'JOB_ENDED', `job '${id}' has ended (${job.state}): there is nothing to cancel`);
    if (job.cancelRequestedAt === null) {
      job.cancelRequestedAt = new Date().toISOString();
      this.save(job);
      active.child.kill('SIGTERM');
      active.killTimer = setTimeout(() => active.child.kill('SIGKILL'), this.o.killGraceMs ?? 30_000);
      active.killTimer.unref();
    }
    return job;
  }

  drain(id: string): JobRecord {
    const job = this.get(id);
    const active = this.active.get(id);
    if (active === undefined || !ACTIVE_JOB_STATES.includes(job.state)) throw new ApiError(409, 'JOB_ENDED', `job '${id}' has ended (${job.state}): there is nothing to drain`);
    if (job.state === 'pending') throw new ApiError(409, 'JOB_NOT_RUNNING', `job '${id}' has not started running yet`, 'drain it once its state is running, or cancel it');
    if (job.cancelRequestedAt !== null) throw new ApiError(409, 'JOB_CANCELLING', `job '${id}' is being cancelled`);
    if (job.state === 'running') {
      job.state = 'draining';
      job.drainRequestedAt = new Date().toISOString();
      this.save(job);
      active.child.kill('SIGUSR2');
    }
    return job;
  }

  /** The job's log from byte `offset` (at most `limit` bytes). */
  logs(id: string, offset: number, limit: number): { text: string; offset: number; nextOffset: number; size: number; complete: boolean } {
    const job = this.get(id);
    const file = join(jobDir(this.o.jobsDir, id), 'log.txt');
    const size = existsSync(file) ? statSync(file).size : 0;
    const start = Math.min(offset, size);
    const length = Math.min(limit, size - start);
    const buffer = Buffer.alloc(length);
    if (length > 0) {
      const fd = openSync(file, 'r');
      try {
        readSync(fd, buffer, 0, length, start);
      } finally {
        closeSync(fd);
      }
    }
    return { text: buffer.toString('utf8'), offset: start, nextOffset: start + length, size, complete: !ACTIVE_JOB_STATES.includes(job.state) };
  }

  /** The job's dead letters (dead-letters.ts), numbered in file order. */
  deadLetters(id: string): DeadLetter[] {
    this.get(id);
    return readDeadLetters(deadLetterFiles(jobDir(this.o.jobsDir, id), this.o.projectDir));
  }

  get projectDir(): string {
    return this.o.projectDir;
  }

  /** The job's events so far (graph, progress, result). */
  events(id: string): JobEvent[] {
    this.get(id);
    return parseJobEvents(readText(join(jobDir(this.o.jobsDir, id), 'events.jsonl')));
  }

  /**
   * The job's step history: live for a running job; for an ended one, read back from its events file (the last
   * few asked for are kept).
   */
  stepHistory(id: string): StepHistory {
    this.get(id);
    const active = this.active.get(id);
    if (active !== undefined) return active.steps;
    let history = this.endedSteps.get(id);
    if (history === undefined) {
      history = new StepHistory();
      for (const e of this.events(id)) if (e.type === 'steps') history.add(e.at, e.steps);
      if (this.endedSteps.size >= 32) this.endedSteps.delete(this.endedSteps.keys().next().value!);
      this.endedSteps.set(id, history);
    }
    return history;
  }

  /** The running jobs' latest step figures (for /metrics). */
  liveSteps(): Array<{ job: string; steps: ReturnType<StepHistory['latest']> }> {
    return [...this.active].map(([job, a]) => ({ job, steps: a.steps.latest() }));
  }

  /** Stops watching: cancels the running jobs (SIGTERM) and waits for them (at most `graceMs`). */
  async close(graceMs = 10_000): Promise<void> {
    clearInterval(this.poller);
    const waits = [...this.active.entries()].map(([id, a]) => {
      const job = this.jobs.get(id);
      if (job !== undefined && job.cancelRequestedAt === null) {
        job.cancelRequestedAt = new Date().toISOString();
        job.reason = 'the server stopped';
      }
      a.child.kill('SIGTERM');
      return a.exited;
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(waits), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    for (const a of this.active.values()) a.child.kill('SIGKILL');
  }

  private save(job: JobRecord): void {
    saveJob(this.o.jobsDir, job);
    this.version++;
  }

  /** Reads new lines of an active job's events file: marks it running at its graph, updates its counts. */
  private readEvents(id: string): { started: boolean } {
    const active = this.active.get(id);
    const job = this.jobs.get(id);
    if (active === undefined || job === undefined) return { started: false };
    const file = join(jobDir(this.o.jobsDir, id), 'events.jsonl');
    const text = readText(file, active.eventsOffset);
    const whole = text.lastIndexOf('\n') + 1;
    if (whole === 0) return { started: active.started };
    active.eventsOffset += Buffer.byteLength(text.slice(0, whole));
    let changed = false;
    for (const e of parseJobEvents(text.slice(0, whole))) {
      if (e.type === 'graph' && !active.started) {
        active.started = true;
        if (job.state === 'pending') {
          job.state = 'running';
          job.startedAt = new Date(e.at).toISOString();
          changed = true;
          this.emitLineage(job, 'START', new Date(e.at));
        }
      } else if (e.type === 'progress') {
        job.counts = countsOf(e);
        this.version++;
      } else if (e.type === 'steps') {
        active.steps.add(e.at, e.steps);
      }
    }
    if (changed) this.save(job);
    return { started: active.started };
  }

  private finish(id: string, exit: { code: number | null; signal: NodeJS.Signals | null }): void {
    const job = this.jobs.get(id);
    const active = this.active.get(id);
    if (job === undefined || active === undefined) return;
    this.readEvents(id);
    clearTimeout(active.killTimer);
    this.active.delete(id);
    this.endedSteps.set(id, active.steps);
    if (this.endedSteps.size > 32) this.endedSteps.delete(this.endedSteps.keys().next().value!);
    const dir = jobDir(this.o.jobsDir, id);
    const result = parseJobEvents(readText(join(dir, 'events.jsonl'))).find((e) => e.type === 'result');
    const cancelled = exit.code === 130 || exit.code === 143 || (job.cancelRequestedAt !== null && exit.signal !== null);
    const state: JobState = exit.code === 0 ? 'succeeded' : cancelled ? 'cancelled' : 'failed';
    job.state = state;
    job.endedAt = new Date().toISOString();
    job.exitCode = exit.code;
    job.signal = exit.signal;
    job.pid = null;
    if (result !== undefined && result.type === 'result') {
      job.counts = { elementsRead: result.elementsRead, elementsProcessed: result.elementsProcessed, deadLetters: result.deadLetters };
      this.o.metrics?.addJobSteps(id, result.steps);
    }
    if (state === 'failed') job.reason ??= firstErrorLine(readText(join(dir, 'log.txt'))) ?? `the job's process ended with ${describeExit(exit.code, exit.signal)}`;
    if (state === 'cancelled') job.reason ??= job.cancelRequestedAt !== null ? 'cancelled through the API' : `cancelled by ${exit.signal ?? describeExit(exit.code, null)}`;
    this.save(job);
    this.emitLineage(job, state === 'succeeded' ? 'COMPLETE' : state === 'cancelled' ? 'ABORT' : 'FAIL', new Date(job.endedAt), result?.type === 'result' ? result : undefined);
    this.o.log?.(`job ${id} ${state}${job.reason ? `: ${job.reason}` : ''}`);
  }

  private emitLineage(job: JobRecord, eventType: 'START' | 'COMPLETE' | 'FAIL' | 'ABORT', time: Date, datasets?: { inputs?: readonly JobDataset[]; outputs?: readonly JobDataset[] }): void {
    if (this.o.lineage === undefined) return;
    try {
      this.o.lineage(runEvent({
        eventType, jobId: job.id, jobName: job.pipeline, time, ...(datasets?.inputs ? { inputs: datasets.inputs } : {}), ...(datasets?.outputs ? { outputs: datasets.outputs } : {}),
        ...(eventType === 'FAIL' && job.reason !== null ? { errorMessage: job.reason } : {}), ...(this.o.lineageProducer !== undefined ? { producer: this.o.lineageProducer } : {}),
      }));
    } catch (e) {
      this.o.log?.(`job ${job.id}: could not record its lineage event: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `signal ${signal}` : `exit code ${code ?? 'unknown'}`;
}

/** The first `error: ...` line of a log (the CLI's message for a failure). */
function firstErrorLine(log: string): string | undefined {
  return log.split('\n').find((l) => l.startsWith('error: '))?.slice('error: '.length);
}

/** The file's text from byte `offset` (what a job appended since the last read), '' if it is not there yet. */
function readText(file: string, offset = 0): string {
  if (offset === 0) {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  }
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return '';
    const buffer = Buffer.alloc(size - offset);
    const n = readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
