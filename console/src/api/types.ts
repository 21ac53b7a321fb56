/**
 * The shapes the console reads from `riffle server`'s API (GET /openapi.json is the reference; these are the fields
 * the pages use). Times are ISO-8601 strings.
 */
export type Role = 'viewer' | 'operator' | 'developer' | 'admin';
export type JobState = 'pending' | 'running' | 'draining' | 'succeeded' | 'failed' | 'cancelled';
export type ParamValue = string | number | boolean;

export interface Job {
  id: string;
  pipeline: string;
  params: Record<string, ParamValue>;
  state: JobState;
  submittedBy: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  exitCode: number | null;
  signal: string | null;
  reason: string | null;
  cancelRequestedAt: string | null;
  drainRequestedAt: string | null;
  counts: { elementsRead: number; elementsProcessed: number; deadLetters: number } | null;
}

export interface StepMetrics {
  elementsIn: number;
  elementsOut: number;
  errors: number;
  droppedLate: number;
  /** The step's output watermark; null before the first one and once the input ended (`inputEnded`). */
  watermark: string | null;
  inputEnded?: boolean;
  /** Processing time minus the output watermark, while the job runs. */
  watermarkLagMs?: number | null;
  inPerSecond?: number | null;
  outPerSecond?: number | null;
  /** A read step's backlog while the job runs, as its source tells it; null where unknown. */
  backlog?: number | null;
  backlogUnit?: 'elements' | 'bytes' | null;
  /** A live snapshot of a running job (true) or the final counts (false). */
  live?: boolean;
  at?: string | null;
}

/** GET /api/jobs/{id}/metrics: each step's recent points (about one a second), oldest first. */
export interface StepHistoryDoc {
  job: string;
  steps: Array<{
    step: string;
    points: Array<{
      at: string; elementsIn: number; elementsOut: number; errors: number; droppedLate: number; watermark: string | null; inputEnded: boolean;
      watermarkLagMs: number | null; inPerSecond: number | null; outPerSecond: number | null;
    }>;
  }>;
}

export interface JobGraph {
  steps: Array<{ name: string; kind: string; metrics: StepMetrics | null }>;
  edges: Array<{ from: string; to: string; kind: 'main' | 'side'; collection: string }>;
  progress: {
    elementsRead: number; elementsProcessed: number; deadLetters: number; sourcesDone: number; sources: number;
    bytesEstimated: number; phase: 'reading' | 'finishing'; step?: string; at: string;
  } | null;
  result: { state: string; durationMs: number; deadLetters: number } | null;
}

export interface JobLog {
  text: string;
  offset: number;
  nextOffset: number;
  size: number;
  complete: boolean;
}

export interface TemplateParam {
  name: string;
  type: 'string' | 'number' | 'integer' | 'boolean';
  default: ParamValue | null;
  required: boolean;
  description: string | null;
}

export interface Template {
  pipeline: string;
  description: string | null;
  params: TemplateParam[];
}

export interface Dag {
  dagId: string;
  fileloc: string;
  schedule: string | null;
  timezone: string;
  isPaused: boolean;
  tags: string[];
  description: string | null;
}

export type DagRunState = 'queued' | 'running' | 'success' | 'failed';

export interface DagRun {
  dagId: string;
  runId: string;
  runType: string;
  state: DagRunState;
  logicalDate: string;
  queuedAt: string;
  startDate: string | null;
  endDate: string | null;
  conf: Record<string, unknown>;
}

export interface TaskInstance {
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  state: string;
  tryNumber: number;
  maxTries: number;
  startDate: string | null;
  endDate: string | null;
  duration: number | null;
  error: string | null;
  pool?: string;
  hostname?: string | null;
}

export interface TaskLog {
  try: number;
  of: number;
  state: string;
  log: string;
}

export interface TokenRecord {
  id: string;
  role: Role;
  createdAt: string;
  name: string | null;
  revokedAt: string | null;
}

export interface LineageDataset {
  namespace: string;
  name: string;
  /** Dataset facets; an output's `columnLineage` (ColumnLineageDatasetFacet) where the job knows it. */
  facets?: { columnLineage?: ColumnLineageFacet } & Record<string, unknown>;
}

/** An input field of an output column: dataset, field, and how it is used (DIRECT/INDIRECT and a subtype). */
export interface ColumnLineageInput {
  namespace: string;
  name: string;
  field: string;
  transformations?: Array<{ type: string; subtype?: string }>;
}

/** OpenLineage's ColumnLineageDatasetFacet: output field → its input fields; fields deciding the whole dataset. */
export interface ColumnLineageFacet {
  fields: Record<string, { inputFields: ColumnLineageInput[] }>;
  dataset?: ColumnLineageInput[];
}

export interface LineageEvent {
  eventType: 'START' | 'RUNNING' | 'COMPLETE' | 'ABORT' | 'FAIL' | 'OTHER';
  eventTime: string;
  run: { runId: string; facets: Record<string, unknown> };
  job: { namespace: string; name: string; facets: Record<string, unknown> };
  inputs: LineageDataset[];
  outputs: LineageDataset[];
}

/** The server's error document: `{"error": {"code", "message", "hint"?, "key"?, "expected"?, "file"?}}`. */
export interface ApiErrorBody {
  code: string;
  message: string;
  hint?: string;
  key?: string | null;
  expected?: string | null;
  file?: string | null;
}
