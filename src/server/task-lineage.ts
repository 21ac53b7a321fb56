/**
 * OpenLineage RunEvents of the orchestrator's task attempts, read from the metadata store (the scheduler that runs
 * them is another process): START once an attempt has started, COMPLETE when it succeeded, FAIL when it failed or
 * waits for a retry (with its error). Each attempt is a run of the job `<dag>.<task>` (namespace riffle), its run id
 * a UUID derived from dag, run, task, map index and try, with the DAG run as its parent run (ParentRunFacet).
 * Datasets come from the attempt's return value when it names them (`{inputs, outputs}` of `{namespace, name}`, as
 * a pipeline task's summary does, outputs with their column lineage). Events already in the log are not emitted again (also after a restart).
 * Strategy of a poll:
 * 1. read every task instance that has started (tryNumber ≥ 1, a start date), and the return values of finished ones;
 * 2. for each, the events its state calls for (START; then COMPLETE or FAIL), less those already emitted.
 */
import { readFileSync } from 'node:fs';
import { lineageRunId, runEvent, type DatasetColumnLineage, type JobDataset, type RunEvent } from '../observe/index.ts';
import type { TaskAttempt } from './dag-service.ts';

/** The run id of a task attempt and of a DAG run. */
export const taskRunId = (t: { dagId: string; runId: string; taskId: string; mapIndex: number; tryNumber: number }) => lineageRunId(`${t.dagId}\0${t.runId}\0${t.taskId}\0${t.mapIndex}\0${t.tryNumber}`, 'riffle-task');
export const dagRunId = (dagId: string, runId: string) => lineageRunId(`${dagId}\0${runId}`, 'riffle-dag-run');

const FAILED = new Set(['failed', 'up_for_retry']);

export class TaskLineage {
  private readonly emitted = new Set<string>();

  constructor(
    private readonly read: () => Promise<TaskAttempt[]>,
    private readonly emit: (e: RunEvent) => void,
    private readonly producer: string,
    /** The lineage log already written: its events are not emitted again. */
    logFile?: string,
  ) {
    if (logFile !== undefined) {
      let text = '';
      try {
        text = readFileSync(logFile, 'utf8');
      } catch {
        // no log yet
      }
      for (const line of text.split('\n')) {
        try {
          const e = JSON.parse(line) as RunEvent;
          this.emitted.add(`${e.run.runId}\0${e.eventType}`);
        } catch {
          // empty or torn line
        }
      }
    }
  }

  /** Emits what changed since the last poll; resolves with how many events were emitted. */
  async poll(): Promise<number> {
    let n = 0;
    for (const t of await this.read()) {
      if (t.tryNumber < 1 || t.startDate === null) continue;
      const runId = taskRunId(t);
      const name = `${t.dagId}.${t.taskId}`;
      const base = { jobId: name, jobName: name, runId, producer: this.producer, parent: { runId: dagRunId(t.dagId, t.runId), jobName: t.dagId } };
      const send = (eventType: 'START' | 'COMPLETE' | 'FAIL', time: number, extra: { inputs?: readonly JobDataset[]; outputs?: readonly JobDataset[]; errorMessage?: string } = {}) => {
        const key = `${runId}\0${eventType}`;
        if (this.emitted.has(key)) return;
        this.emitted.add(key);
        this.emit(runEvent({ ...base, eventType, time: new Date(time), ...extra }));
        n++;
      };
      const datasets = datasetsOfValue(t.value);
      send('START', t.startDate, datasets.inputs.length > 0 ? { inputs: datasets.inputs } : {});
      if (t.state === 'success') send('COMPLETE', t.endDate ?? t.updatedAt, datasets);
      else if (FAILED.has(t.state)) send('FAIL', t.endDate ?? t.updatedAt, { ...datasets, errorMessage: t.error ?? `the task ${t.state === 'failed' ? 'failed' : 'failed and waits for a retry'}` });
    }
    return n;
  }
}

/** A column lineage as a pipeline task's summary carries it: `fields` of `{inputFields: [{namespace, name, field}]}`. */
function isColumnLineage(v: unknown): v is DatasetColumnLineage {
  if (v === null || typeof v !== 'object') return false;
  const fields = (v as { fields?: unknown }).fields;
  if (fields === null || typeof fields !== 'object') return false;
  const inputOk = (i: unknown) => i !== null && typeof i === 'object' && ['namespace', 'name', 'field'].every((k) => typeof (i as Record<string, unknown>)[k] === 'string');
  const dataset = (v as { dataset?: unknown }).dataset;
  return Object.values(fields).every((f) => f !== null && typeof f === 'object' && Array.isArray((f as { inputFields?: unknown }).inputFields) && (f as { inputFields: unknown[] }).inputFields.every(inputOk))
    && (dataset === undefined || (Array.isArray(dataset) && dataset.every(inputOk)));
}

/** `{inputs, outputs}` lists of `{namespace, name}` in a task's return value (with an output's column lineage), when it has them. */
export function datasetsOfValue(value: unknown): { inputs: JobDataset[]; outputs: JobDataset[] } {
  const list = (v: unknown): JobDataset[] =>
    Array.isArray(v) ? v.filter((d): d is JobDataset => d !== null && typeof d === 'object' && typeof (d as JobDataset).namespace === 'string' && typeof (d as JobDataset).name === 'string').map((d) => ({ namespace: d.namespace, name: d.name, ...(isColumnLineage(d.columnLineage) ? { columnLineage: d.columnLineage } : {}) })) : [];
  if (value === null || typeof value !== 'object') return { inputs: [], outputs: [] };
  const v = value as { inputs?: unknown; outputs?: unknown };
  return { inputs: list(v.inputs), outputs: list(v.outputs) };
}
