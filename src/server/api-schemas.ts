/**
 * The API's request and response shapes, as zod schemas: @hono/zod-openapi validates requests with them and writes
 * the OpenAPI document (GET /openapi.json) from them, so the document is what the server checks and answers.
 * Objects in request bodies are strict (an unknown field is a 400 naming it); times are ISO-8601 strings.
 */
import { z } from '@hono/zod-openapi';
import { JOB_STATES } from './job-record.ts';
import { ROLES } from './roles.ts';

export const ErrorSchema = z.object({
  error: z.object({
    code: z.string().openapi({ example: 'PARAM_INVALID' }),
    message: z.string(),
    hint: z.string().optional(),
    file: z.string().nullable().optional().openapi({ description: 'the file the error is about (a pipeline module)' }),
    key: z.string().nullable().optional().openapi({ description: 'the key of the request the error is about (`params.limit`, `pipeline`)' }),
    expected: z.string().nullable().optional().openapi({ description: 'what was expected' }),
  }).catchall(z.string().nullable()),
}).openapi('Error');

/** Text without NUL characters: ids and values reach the argv of child processes, which cannot hold them. */
// eslint-disable-next-line no-control-regex -- the pattern is about that control character (and is in the document)
const text = () => z.string().regex(/^[^\u0000]*$/, 'text without NUL characters');
const isoTime = z.string().openapi({ format: 'date-time', example: '2026-12-07T16:00:00.000Z' });
const paramValue = z.union([text(), z.number(), z.boolean()]);

export const JobStateSchema = z.enum(JOB_STATES).openapi('JobState');

export const JobSchema = z.object({
  id: z.string().openapi({ example: 'job-20261207T160000Z-1a2b3c' }),
  pipeline: z.string().openapi({ description: 'the pipeline module, relative to the project directory' }),
  params: z.record(z.string(), paramValue),
  namespace: z.string().openapi({ description: "the job's namespace (tokens may be limited to namespaces)", example: 'default' }),
  state: JobStateSchema,
  submittedBy: z.string().nullable().openapi({ description: 'the id of the token that submitted it' }),
  createdAt: isoTime,
  startedAt: isoTime.nullable(),
  endedAt: isoTime.nullable(),
  pid: z.number().int().nullable(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  reason: z.string().nullable(),
  cancelRequestedAt: isoTime.nullable(),
  drainRequestedAt: isoTime.nullable(),
  counts: z.object({ elementsRead: z.number(), elementsProcessed: z.number(), deadLetters: z.number() }).nullable(),
}).openapi('Job');

export const JobListSchema = z.object({ jobs: z.array(JobSchema) }).openapi('JobList');

// eslint-disable-next-line no-control-regex -- as text() above
const pipelinePath = z.string().min(1).max(1024).regex(/^[^/\u0000][^\u0000]*\.[cm]?[jt]s$/, 'a relative path of a .ts or .js module');

export const SubmitJobSchema = z.strictObject({
  pipeline: pipelinePath.openapi({ description: 'a .ts or .js pipeline module, relative to the project directory (and inside it)', example: 'examples/quickstart.ts' }),
  namespace: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a namespace: letters, digits, . _ - (at most 63)').optional().openapi({ description: "the job's namespace (default 'default')" }),
  params: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'a parameter name').max(200), paramValue).optional().openapi({ description: "the pipeline's parameters (`riffle template describe` lists them)", example: { output: 'out/quickstart' } }),
}).openapi('SubmitJob');

export const DescribeQuery = z.object({
  pipeline: pipelinePath.openapi({ param: { name: 'pipeline', in: 'query' }, description: 'the pipeline module, relative to the project directory', example: 'examples/quickstart.ts' }),
});

export const TemplateSchema = z.object({
  pipeline: z.string(),
  description: z.string().nullable(),
  params: z.array(z.object({
    name: z.string(),
    type: z.enum(['string', 'number', 'integer', 'boolean']),
    default: z.union([z.string(), z.number(), z.boolean()]).nullable(),
    required: z.boolean(),
    description: z.string().nullable(),
  })),
}).openapi('Template');

/** A pipeline module's description and parameters. */
export type TemplateDescription = z.infer<typeof TemplateSchema>;

export const JobIdParams = z.object({ id: z.string().min(1).max(200).openapi({ param: { name: 'id', in: 'path' }, example: 'job-20261207T160000Z-1a2b3c' }) });

export const JobListQuery = z.object({
  state: JobStateSchema.optional().openapi({ param: { name: 'state', in: 'query' } }),
  limit: z.coerce.number().int().min(1).max(10_000).optional().openapi({ param: { name: 'limit', in: 'query' } }),
});

export const LogQuery = z.object({
  offset: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().openapi({ param: { name: 'offset', in: 'query' }, description: 'the byte to start at (default 0)' }),
  limit: z.coerce.number().int().min(1).max(4 * 1024 * 1024).optional().openapi({ param: { name: 'limit', in: 'query' }, description: 'at most this many bytes (default 1 MiB)' }),
});

export const JobLogSchema = z.object({
  text: z.string(),
  offset: z.number().int(),
  nextOffset: z.number().int().openapi({ description: 'the offset to ask for next, to follow the log' }),
  size: z.number().int(),
  complete: z.boolean().openapi({ description: 'whether the job has ended (the log grows no more)' }),
}).openapi('JobLog');

const watermarkFields = {
  watermark: isoTime.nullable().openapi({ description: "the step's output watermark (event time); null before the first one and once the input ended" }),
  inputEnded: z.boolean().openapi({ description: "the watermark reached the end of the input (the step's input is done)" }),
  watermarkLagMs: z.number().nullable().openapi({ description: 'processing time minus the output watermark, while the job runs' }),
};

const stepMetricsSchema = z.object({
  elementsIn: z.number(),
  elementsOut: z.number(),
  errors: z.number(),
  droppedLate: z.number(),
  ...watermarkFields,
  inPerSecond: z.number().nullable().openapi({ description: 'elements a second into the step over the last interval (live only)' }),
  outPerSecond: z.number().nullable(),
  backlog: z.number().nullable().openapi({ description: "what a running job's read step has left to read, as its source tells it (Kafka: records behind the partitions' ends; a bus subscription: unacked messages not read yet; a Delta read: bytes of data files not read yet); null where unknown (other sources, other steps) and once the job ended" }),
  backlogUnit: z.enum(['elements', 'bytes']).nullable().openapi({ description: "backlog's unit; null with it" }),
  live: z.boolean().openapi({ description: 'true: a live snapshot of a running job; false: the final counts' }),
  at: isoTime.nullable().openapi({ description: 'when the live snapshot was taken' }),
}).openapi('StepMetrics');

export const StepHistoryQuery = z.object({
  step: z.string().min(1).max(1000).optional().openapi({ param: { name: 'step', in: 'query' }, description: "only this step's history" }),
  limit: z.coerce.number().int().min(1).max(300).optional().openapi({ param: { name: 'limit', in: 'query' }, description: 'the last N points of each step (default 300)' }),
});

export const StepHistorySchema = z.object({
  job: z.string(),
  steps: z.array(z.object({
    step: z.string(),
    points: z.array(z.object({
      at: isoTime, elementsIn: z.number(), elementsOut: z.number(), errors: z.number(), droppedLate: z.number(), ...watermarkFields,
      inPerSecond: z.number().nullable(), outPerSecond: z.number().nullable(),
      backlog: z.number().nullable(), backlogUnit: z.enum(['elements', 'bytes']).nullable(),
    })),
  })),
}).openapi('StepHistory');

export const JobGraphSchema = z.object({
  steps: z.array(z.object({ name: z.string(), kind: z.string(), metrics: stepMetricsSchema.nullable().openapi({ description: 'live figures while the job runs (about every second), final counts once it ended; null before the first report' }) })),
  edges: z.array(z.object({ from: z.string(), to: z.string(), kind: z.enum(['main', 'side']), collection: z.string() })),
  progress: z.object({
    elementsRead: z.number(), elementsProcessed: z.number(), deadLetters: z.number(), sourcesDone: z.number(), sources: z.number(), bytesEstimated: z.number(),
    phase: z.enum(['reading', 'finishing']), step: z.string().optional(), at: isoTime,
  }).nullable().openapi({ description: 'the latest live figures of the whole job' }),
  result: z.object({ state: z.string(), durationMs: z.number(), deadLetters: z.number() }).nullable(),
}).openapi('JobGraph');

// ---- DAGs ----

export const DagSchema = z.looseObject({
  dagId: z.string(),
  fileloc: z.string(),
  schedule: z.string().nullable(),
  timezone: z.string(),
  isPaused: z.boolean(),
  tags: z.array(z.string()),
  description: z.string().nullable(),
}).openapi('Dag');

export const DagRunSchema = z.looseObject({
  dagId: z.string(),
  runId: z.string(),
  runType: z.string(),
  state: z.enum(['queued', 'running', 'success', 'failed']),
  logicalDate: isoTime,
  dataIntervalStart: isoTime,
  dataIntervalEnd: isoTime,
  conf: z.record(z.string(), z.unknown()),
  queuedAt: isoTime,
  startDate: isoTime.nullable(),
  endDate: isoTime.nullable(),
}).openapi('DagRun');

export const TaskInstanceSchema = z.looseObject({
  dagId: z.string(),
  runId: z.string(),
  taskId: z.string(),
  mapIndex: z.number().int(),
  state: z.string(),
  tryNumber: z.number().int(),
  maxTries: z.number().int(),
  startDate: isoTime.nullable(),
  endDate: isoTime.nullable(),
  duration: z.number().nullable().openapi({ description: 'milliseconds of the last attempt' }),
  error: z.string().nullable(),
}).openapi('TaskInstance');

export const DagIdParams = z.object({ dagId: text().min(1).max(250).openapi({ param: { name: 'dagId', in: 'path' }, example: 'daily-etl' }) });
export const RunParams = DagIdParams.extend({ runId: text().min(1).max(250).openapi({ param: { name: 'runId', in: 'path' }, example: 'manual__2026-12-07T00:00:00.000Z' }) });
export const TaskParams = RunParams.extend({ taskId: text().min(1).max(250).openapi({ param: { name: 'taskId', in: 'path' }, example: 'extract' }) });

export const RunListQuery = z.object({
  state: z.enum(['queued', 'running', 'success', 'failed']).optional().openapi({ param: { name: 'state', in: 'query' } }),
  limit: z.coerce.number().int().min(1).max(10_000).optional().openapi({ param: { name: 'limit', in: 'query' }, description: 'the latest N runs' }),
});

export const GridQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1_000).default(25).openapi({ param: { name: 'limit', in: 'query' }, description: 'the latest N runs (default 25)' }),
});

export const DagTaskSchema = z.object({
  id: z.string(),
  kind: z.string().openapi({ description: 'the operator kind (python, pipeline, sensor, sql, …)' }),
  upstream: z.array(z.string()),
  downstream: z.array(z.string()),
  triggerRule: z.string(),
  retries: z.number().int(),
  pool: z.string(),
  mapped: z.boolean(),
  sensorMode: z.string().nullable(),
  latest: z.object({ runId: z.string(), logicalDate: isoTime.nullable(), state: z.string(), tryNumber: z.number().int() }).nullable()
    .openapi({ description: 'its instance in the latest run that has one; null before any' }),
}).openapi('DagTask');

export const TaskLogQuery = z.object({
  try: z.coerce.number().int().min(1).max(1_000_000).optional().openapi({ param: { name: 'try', in: 'query' }, description: 'the attempt (default the latest)' }),
  mapIndex: z.coerce.number().int().min(-1).max(1_000_000).optional().openapi({ param: { name: 'mapIndex', in: 'query' }, description: 'the map index of an expanded task (default -1: not mapped)' }),
});

// eslint-disable-next-line no-control-regex -- as text() above
const taskList = z.array(z.string().min(1).max(250).regex(/^[^,\u0000]+$/, 'a task id or group id (no commas)')).min(1).max(1000);

export const TriggerSchema = z.strictObject({
  conf: z.record(z.string(), z.unknown()).optional().openapi({ description: "the run's params, checked against the DAG's" }),
  logicalDate: text().min(1).max(64).optional().openapi({ description: 'the logical date (default now), a date or ISO-8601 time in the DAG time zone', example: '2026-12-07' }),
}).openapi('TriggerDag');
export const ClearSchema = z.strictObject({ tasks: taskList, downstream: z.boolean().optional() }).openapi('ClearTasks');
export const MarkSchema = z.strictObject({ tasks: taskList, state: z.enum(['success', 'failed']), downstream: z.boolean().optional() }).openapi('MarkTasks');
export const PauseSchema = z.strictObject({ paused: z.boolean() }).openapi('PauseDag');

export const CommandResultSchema = z.record(z.string(), z.unknown()).openapi('CommandResult', { description: "the JSON document of the matching 'riffle dag' command" });

// ---- tokens ----

export const RoleSchema = z.enum(ROLES).openapi('Role');
/** A namespace of jobs and DAGs (a job's `namespace`, a DAG's `namespace:<name>` tag). */
export const namespaceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a namespace: letters, digits, . _ - (at most 63)');
export const TokenSchema = z.object({
  id: z.string(), role: RoleSchema, createdAt: isoTime, name: z.string().nullable(), revokedAt: isoTime.nullable(),
  namespaces: z.array(z.string()).nullable().openapi({ description: 'the namespaces the token is granted; null: every namespace' }),
}).openapi('Token');
export const CreateTokenSchema = z.strictObject({
  role: RoleSchema, name: z.string().min(1).max(200).optional(),
  namespaces: z.array(namespaceName).min(1).max(100).optional().openapi({ description: 'limit the token to these namespaces (default: every namespace)' }),
}).openapi('CreateToken');
export const TokenIdParams = z.object({ id: z.string().min(1).max(200).openapi({ param: { name: 'id', in: 'path' }, example: 'tok_1a2b3c4d5e6f' }) });
