/**
 * The orchestrator's store as the server serves it: the store of `riffle dag` and `riffle scheduler` (a journal
 * directory, DIR/orchestrator by default, or a postgres:// URL). Reads open it read-only for each request (they work
 * while a scheduler holds it). Changes — trigger, clear, mark, pause — run `riffle dag <op> --json` in a child
 * process: the same checks and compare-and-set operations as the CLI (src/orchestrator/admin.ts), the DAG files
 * loaded there rather than in the server, and, while a scheduler holds a journal store, the change sent to its
 * inbox as the CLI does.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { JournalStore, openMetadataStore, RemoteLogFolder, withRemoteLogs, type DagRecord, type DagRunRecord, type DagRunState, type MetadataStore, type StoreSpec, type TaskInstanceRecord } from '../orchestrator/index.ts';
import { ApiError } from './api-error.ts';
import { errorDocumentOf, runRiffle } from './riffle-child.ts';

export interface DagServiceOptions {
  /** The store as given (`--store`): a directory (relative to the project directory) or a postgres:// URL. */
  readonly storeArg: string;
  readonly store: StoreSpec;
  /** The DAG folder the change commands load (relative to the project directory). */
  readonly dagsFolder: string;
  readonly projectDir: string;
  /** Where task logs were uploaded: read there when the store has none for an attempt (remote-logs.ts). */
  readonly remoteLogFolder?: string;
}

/** A DAG's namespace: its `namespace:<name>` tag, else 'default'. */
export function dagNamespace(tags: readonly string[]): string {
  return tags.find((t) => t.startsWith('namespace:'))?.slice('namespace:'.length) || 'default';
}

/** A DAG's task as `GET /api/dags/{dag}/tasks` lists it. */
export interface DagTaskInfo {
  readonly id: string;
  /** The operator kind (`python`, `pipeline`, `sensor`, `sql`, …). */
  readonly kind: string;
  readonly upstream: string[];
  readonly downstream: string[];
  readonly triggerRule: string;
  readonly retries: number;
  readonly pool: string;
  readonly mapped: boolean;
  readonly sensorMode: string | null;
  /** Its instance in the latest run that has one (the highest map index of a mapped task), null before any. */
  readonly latest: { readonly runId: string; readonly logicalDate: string | null; readonly state: string; readonly tryNumber: number } | null;
}

/** A task instance that has started, and its return value (XCom return_value) once it succeeded. */
export type TaskAttempt = TaskInstanceRecord & { readonly value?: unknown };

/** How long a DAG's declared tasks (`riffle dag show`, a child process) are kept before they are read again. */
const SHOW_TTL_MS = 10_000;

interface DeclaredTask { id: string; kind: string; upstream: string[]; triggerRule: string; retries: number; pool: string; expand?: unknown; sensorMode?: string }

export class DagService {
  readonly #remoteLogs: RemoteLogFolder | undefined;
  private readonly shown = new Map<string, { at: number; tasks: DeclaredTask[] }>();

  constructor(private readonly o: DagServiceOptions) {
    this.#remoteLogs = o.remoteLogFolder !== undefined ? new RemoteLogFolder(o.remoteLogFolder) : undefined;
  }

  /** The directory (absolute) or the URL, as `riffle dag --store` takes it. */
  private storeArg(): string {
    return this.o.store.kind === 'journal' ? resolve(this.o.projectDir, this.o.store.dir) : this.o.storeArg;
  }

  /** Opens the store read-only and runs `fn`; undefined when there is no journal store yet. */
  private async read<T>(fn: (s: MetadataStore) => Promise<T>): Promise<T | undefined> {
    const s = this.o.store;
    let store: MetadataStore;
    if (s.kind === 'journal') {
      const dir = resolve(this.o.projectDir, s.dir);
      if (!existsSync(dir)) return undefined;
      store = await JournalStore.open({ dir, readOnly: true });
    } else {
      store = await openMetadataStore(s);
    }
    try {
      return await fn(withRemoteLogs(store, this.#remoteLogs));
    } finally {
      await store.close();
    }
  }

  /** The namespace of a DAG in the store; undefined when there is no such DAG. */
  async namespaceOf(dagId: string): Promise<string | undefined> {
    const dag = await this.read((s) => s.getDag(dagId));
    return dag === undefined ? undefined : dagNamespace(dag.tags);
  }

  async dags(): Promise<DagRecord[]> {
    return (await this.read((s) => s.listDags())) ?? [];
  }

  async runs(dagId: string, filter: { state?: DagRunState; limit?: number } = {}): Promise<DagRunRecord[]> {
    const runs = await this.read(async (s) => {
      await requireDag(s, dagId);
      return s.listDagRuns({ dagId, ...(filter.state !== undefined ? { states: [filter.state] } : {}) });
    });
    if (runs === undefined) throw noDag(dagId, []);
    return filter.limit !== undefined ? runs.slice(-filter.limit) : runs;
  }

  async tasks(dagId: string, runId: string): Promise<{ run: DagRunRecord; tasks: TaskInstanceRecord[] }> {
    const found = await this.read(async (s) => {
      await requireDag(s, dagId);
      const run = await requireRun(s, dagId, runId);
      return { run, tasks: await s.listTaskInstances({ dagId, runId }) };
    });
    if (found === undefined) throw noDag(dagId, []);
    return found;
  }

  async log(dagId: string, runId: string, taskId: string, mapIndex: number, tryNumber: number | undefined): Promise<{ try: number; of: number; state: string; log: string }> {
    const found = await this.read(async (s) => {
      await requireDag(s, dagId);
      await requireRun(s, dagId, runId);
      const key = { dagId, runId, taskId, mapIndex };
      const ti = await s.getTaskInstance(key);
      if (ti === undefined) throw new ApiError(404, 'TASK_INSTANCE_NOT_FOUND', `run '${runId}' of dag '${dagId}' has no task instance '${taskId}'${mapIndex >= 0 ? `[${mapIndex}]` : ''}`, `GET /api/dags/${dagId}/runs/${runId}/tasks lists them`);
      const attempt = tryNumber ?? ti.tryNumber;
      if (attempt < 1 || attempt > Math.max(ti.tryNumber, 1)) throw new ApiError(404, 'ATTEMPT_NOT_FOUND', `'${taskId}' has no attempt ${attempt}`, ti.tryNumber === 0 ? 'it has not run yet' : `attempts: 1 to ${ti.tryNumber}`);
      return { try: attempt, of: ti.tryNumber, state: ti.state, log: ti.tryNumber === 0 ? '' : await s.readLog(key, attempt) };
    });
    if (found === undefined) throw noDag(dagId, []);
    return found;
  }

  /** The latest `limit` runs (oldest first) and all their task instances, from one read of the store (the grid). */
  async grid(dagId: string, limit: number): Promise<{ runs: DagRunRecord[]; instances: Map<string, TaskInstanceRecord[]> }> {
    const found = await this.read(async (s) => {
      await requireDag(s, dagId);
      const runs = (await s.listDagRuns({ dagId })).slice(-limit);
      const instances = new Map<string, TaskInstanceRecord[]>(runs.map((r) => [r.runId, []]));
      for (const ti of await s.listTaskInstances({ dagId })) instances.get(ti.runId)?.push(ti);
      return { runs, instances };
    });
    if (found === undefined) throw noDag(dagId, []);
    return found;
  }

  /**
   * A DAG's tasks as its file declares them (`riffle dag show --json` in a child: id, kind, upstream, trigger rule,
   * retries, pool), with their downstream tasks and each one's latest instance in the store (its latest run that has one).
   */
  async dagTasks(dagId: string): Promise<DagTaskInfo[]> {
    // A DAG the store does not know is a 404 without a child process; a known one's declaration is kept 10 s.
    if ((await this.read((st) => requireDag(st, dagId).then(() => true))) === undefined) throw noDag(dagId, []);
    let cached = this.shown.get(dagId);
    if (cached === undefined || Date.now() - cached.at > SHOW_TTL_MS) {
      const shown = await this.command('show', [dagId], []) as { tasks?: DeclaredTask[] };
      cached = { at: Date.now(), tasks: shown.tasks ?? [] };
      this.shown.set(dagId, cached);
      if (this.shown.size > 1000) this.shown.delete(this.shown.keys().next().value!);
    }
    const declared = cached.tasks;
    const latest = new Map<string, { runId: string; logicalDate: number; state: string; tryNumber: number; mapIndex: number }>();
    await this.read(async (s) => {
      const runs = new Map((await s.listDagRuns({ dagId })).map((r) => [r.runId, r.logicalDate]));
      for (const ti of await s.listTaskInstances({ dagId })) {
        const at = runs.get(ti.runId) ?? -Infinity;
        const seen = latest.get(ti.taskId);
        if (seen === undefined || at > seen.logicalDate || (at === seen.logicalDate && ti.mapIndex > seen.mapIndex)) latest.set(ti.taskId, { runId: ti.runId, logicalDate: at, state: ti.state, tryNumber: ti.tryNumber, mapIndex: ti.mapIndex });
      }
    });
    const downstream = new Map<string, string[]>(declared.map((t) => [t.id, []]));
    for (const t of declared) for (const u of t.upstream) downstream.get(u)?.push(t.id);
    return declared.map((t) => {
      const l = latest.get(t.id);
      return {
        id: t.id, kind: t.kind, upstream: t.upstream, downstream: downstream.get(t.id) ?? [], triggerRule: t.triggerRule, retries: t.retries, pool: t.pool,
        mapped: t.expand !== undefined, sensorMode: t.sensorMode ?? null,
        latest: l === undefined ? null : { runId: l.runId, logicalDate: Number.isFinite(l.logicalDate) ? new Date(l.logicalDate).toISOString() : null, state: l.state, tryNumber: l.tryNumber },
      };
    });
  }

  /** Every task instance that has started, with its return value once it succeeded (for task lineage). */
  async attempts(): Promise<TaskAttempt[]> {
    return (await this.read(async (s) => {
      const out: TaskAttempt[] = [];
      for (const d of await s.listDags()) {
        for (const ti of await s.listTaskInstances({ dagId: d.dagId })) {
          if (ti.tryNumber < 1 || ti.startDate === null) continue;
          const value = ti.state === 'success' ? (await s.getXCom(ti, 'return_value'))?.value : undefined;
          out.push({ ...ti, value });
        }
      }
      return out;
    })) ?? [];
  }

  /** Each DAG's latest successful run's end (ms), null when none succeeded (for freshness alerts). */
  async lastSuccess(): Promise<Map<string, number | null>> {
    return (await this.read(async (s) => {
      const out = new Map<string, number | null>();
      for (const d of await s.listDags()) out.set(d.dagId, null);
      for (const r of await s.listDagRuns({ states: ['success'] })) {
        const end = r.endDate ?? r.startDate ?? null;
        if (end !== null && (out.get(r.dagId) ?? -Infinity) < end) out.set(r.dagId, end);
      }
      return out;
    })) ?? new Map();
  }

  /** Pool slots that queued and running task instances take, per pool (for /metrics). */
  async poolUse(): Promise<Array<{ pool: string; used: number }>> {
    return (await this.read(async (s) => {
      const used = new Map<string, number>();
      for (const d of await s.listDags()) for (const ti of await s.listTaskInstances({ dagId: d.dagId, states: ['queued', 'running'] })) used.set(ti.pool, (used.get(ti.pool) ?? 0) + ti.poolSlots);
      return [...used].map(([pool, n]) => ({ pool, used: n }));
    })) ?? [];
  }

  /** Counts for /metrics: runs per DAG and state, task instances per state. */
  async counts(): Promise<{ runs: Array<{ dag: string; state: string; count: number }>; tasks: Record<string, number> }> {
    const counts = await this.read(async (s) => {
      const runs = new Map<string, number>();
      for (const r of await s.listDagRuns()) runs.set(`${r.dagId}\0${r.state}`, (runs.get(`${r.dagId}\0${r.state}`) ?? 0) + 1);
      const tasks: Record<string, number> = {};
      for (const d of await s.listDags()) for (const ti of await s.listTaskInstances({ dagId: d.dagId })) tasks[ti.state] = (tasks[ti.state] ?? 0) + 1;
      return { runs: [...runs].map(([k, count]) => ({ dag: k.split('\0')[0]!, state: k.split('\0')[1]!, count })), tasks };
    });
    return counts ?? { runs: [], tasks: {} };
  }

  trigger(dagId: string, o: { conf?: Record<string, unknown>; logicalDate?: string }): Promise<unknown> {
    return this.change('trigger', [dagId], [...(o.conf !== undefined ? ['--conf', JSON.stringify(o.conf)] : []), ...(o.logicalDate !== undefined ? ['--logical-date', o.logicalDate] : [])]);
  }

  clear(dagId: string, runId: string, tasks: readonly string[], downstream: boolean): Promise<unknown> {
    return this.change('clear', [dagId, runId], ['--task', tasks.join(','), ...(downstream ? ['--downstream'] : [])]);
  }

  mark(dagId: string, runId: string, tasks: readonly string[], state: 'success' | 'failed', downstream: boolean): Promise<unknown> {
    return this.change('mark', [dagId, runId], ['--task', tasks.join(','), '--state', state, ...(downstream ? ['--downstream'] : [])]);
  }

  pause(dagId: string, paused: boolean): Promise<unknown> {
    return this.change(paused ? 'pause' : 'unpause', [dagId], []);
  }

  /**
   * `riffle dag <args> --json` in a child: its JSON document, or an ApiError from its error document (an unknown
   * DAG, run or task is a 404; other usage errors 400; a refusal such as a task still running, 409).
   */
  private change(op: string, operands: readonly string[], options: readonly string[]): Promise<unknown> {
    return this.command(op, operands, options);
  }

  private async command(op: string, operands: readonly string[], options: readonly string[]): Promise<unknown> {
    // '--' ends the options: ids are operands even when they start with '-'.
    const { code, stdout, stderr } = await runRiffle(['dag', '--dags', this.o.dagsFolder, '--store', this.storeArg(), '--json', op, ...options, '--', ...operands], this.o.projectDir);
    if (code === 0) {
      try {
        return JSON.parse(stdout) as unknown;
      } catch {
        throw new ApiError(502, 'DAG_COMMAND_OUTPUT', `riffle dag ${op} printed no JSON document`, stderr.trim().split('\n')[0]);
      }
    }
    const doc = errorDocumentOf(stdout);
    const message = doc?.message ?? (stderr.trim().split('\n')[0] || `riffle dag ${op} failed with exit code ${code}`);
    const notFound = /^no dag |has no run |has no task|has no dag |no task instance/.test(message);
    const status = code === 2 ? (notFound ? 404 : 400) : code === 1 ? 409 : 500;
    throw new ApiError(status, doc?.code ?? 'DAG_COMMAND_FAILED', message, doc?.hint ?? undefined);
  }
}

async function requireDag(s: MetadataStore, dagId: string): Promise<void> {
  if (await s.getDag(dagId)) return;
  if ((await s.listDagRuns({ dagId })).length > 0) return;
  throw noDag(dagId, (await s.listDags()).map((d) => d.dagId));
}

function noDag(dagId: string, known: readonly string[]): ApiError {
  return new ApiError(404, 'DAG_NOT_FOUND', `the metadata store has no dag '${dagId}'`, `dags in the store: ${known.join(', ') || 'none'} (a scheduler or a trigger records them)`);
}

async function requireRun(s: MetadataStore, dagId: string, runId: string): Promise<DagRunRecord> {
  const run = await s.getDagRun(dagId, runId);
  if (run) return run;
  throw new ApiError(404, 'RUN_NOT_FOUND', `dag '${dagId}' has no run '${runId}'`, `GET /api/dags/${dagId}/runs lists its runs`);
}
