/**
 * OpenLineage RunEvents (spec 2-0-2) for the jobs `riffle server` runs: START when a job begins running, then
 * COMPLETE, FAIL (with an errorMessage run facet) or ABORT when it ends, naming the files it read and wrote
 * (job-events.ts `datasetsOf`), outputs with a columnLineage facet where the pipeline knows it (column-lineage.ts). The run id is a UUID derived from the job id, so every event of a job carries the
 * same one and a restarted server emits the same id again. Events are appended to a JSON Lines file.
 * @example
 *   log.append(runEvent({ eventType: 'START', jobId: 'job-…', jobName: 'pipelines/etl.ts', time: new Date() }));
 */
import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import type { JobDataset } from './job-events.ts';

export const OPENLINEAGE_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
const PARENT_FACET_SCHEMA_URL = 'https://openlineage.io/spec/facets/1-1-0/ParentRunFacet.json#/$defs/ParentRunFacet';
/** ColumnLineageDatasetFacet 1-2-0 (the version openlineage-python 1.54 writes): fields, dataset, transformations. */
const COLUMN_LINEAGE_FACET_SCHEMA_URL = 'https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet';
const ERROR_FACET_SCHEMA_URL = 'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet';
/** Who produced the events (a URI naming the producer; the server adds its version). */
export const RIFFLE_PRODUCER = 'urn:riffle:server';
/** The namespace of Riffle's jobs. */
export const RIFFLE_NAMESPACE = 'riffle';

export type RunEventType = 'START' | 'RUNNING' | 'COMPLETE' | 'ABORT' | 'FAIL' | 'OTHER';

export interface RunEvent {
  readonly eventType: RunEventType;
  readonly eventTime: string;
  readonly producer: string;
  readonly schemaURL: string;
  readonly run: { readonly runId: string; readonly facets: Record<string, unknown> };
  readonly job: { readonly namespace: string; readonly name: string; readonly facets: Record<string, unknown> };
  readonly inputs: ReadonlyArray<JobDataset & { readonly facets: Record<string, unknown>; readonly inputFacets: Record<string, unknown> }>;
  readonly outputs: ReadonlyArray<JobDataset & { readonly facets: Record<string, unknown>; readonly outputFacets: Record<string, unknown> }>;
}

/** A UUID (RFC 4122 layout, version 5 bits) derived from the job id (or from another kind's key: `riffle-task:…`). */
export function lineageRunId(jobId: string, kind = 'riffle-job'): string {
  const h = createHash('sha256').update(`${kind}:${jobId}`).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface RunEventInput {
  readonly eventType: RunEventType;
  readonly jobId: string;
  /** The job's name in lineage: its pipeline module (relative to the project). */
  readonly jobName: string;
  readonly time: Date;
  readonly inputs?: readonly JobDataset[];
  readonly outputs?: readonly JobDataset[];
  readonly errorMessage?: string;
  /** Default RIFFLE_PRODUCER. */
  readonly producer?: string;
  /** The run id, when it is not lineageRunId(jobId) (an orchestrator task's attempt). */
  readonly runId?: string;
  /** The run this one belongs to (a task's DAG run): a ParentRunFacet. */
  readonly parent?: { readonly runId: string; readonly jobName: string };
}

export function runEvent(o: RunEventInput): RunEvent {
  const producer = o.producer ?? RIFFLE_PRODUCER;
  const dataset = (d: JobDataset) => ({
    namespace: d.namespace, name: d.name,
    facets: d.columnLineage === undefined ? {} : { columnLineage: { _producer: producer, _schemaURL: COLUMN_LINEAGE_FACET_SCHEMA_URL, ...d.columnLineage } },
  });
  return {
    eventType: o.eventType,
    eventTime: o.time.toISOString(),
    producer,
    schemaURL: OPENLINEAGE_SCHEMA_URL,
    run: {
      runId: o.runId ?? lineageRunId(o.jobId),
      facets: {
        ...(o.parent === undefined ? {} : { parent: { _producer: producer, _schemaURL: PARENT_FACET_SCHEMA_URL, run: { runId: o.parent.runId }, job: { namespace: RIFFLE_NAMESPACE, name: o.parent.jobName } } }),
        ...(o.errorMessage === undefined ? {} : { errorMessage: { _producer: producer, _schemaURL: ERROR_FACET_SCHEMA_URL, message: o.errorMessage, programmingLanguage: 'TypeScript' } }),
      },
    },
    job: { namespace: RIFFLE_NAMESPACE, name: o.jobName, facets: {} },
    inputs: (o.inputs ?? []).map((d) => ({ ...dataset(d), inputFacets: {} })),
    outputs: (o.outputs ?? []).map((d) => ({ ...dataset(d), outputFacets: {} })),
  };
}

/** RunEvents as JSON Lines in a file (one write per event). */
export class LineageLog {
  constructor(readonly file: string) {}

  append(event: RunEvent): void {
    appendFileSync(this.file, `${JSON.stringify(event)}\n`);
  }
}
