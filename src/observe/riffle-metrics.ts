/**
 * Riffle's Prometheus metrics (prom-client), as `riffle server` exposes them at /metrics:
 * - `riffle_jobs{state}`: jobs per state (pending, running, draining, succeeded, failed, cancelled);
 * - `riffle_job_elements_total{job,step,direction}`: elements into and out of each step of a finished job;
 *   `riffle_job_step_errors_total{job,step}` and `riffle_job_step_dropped_late_total{job,step}` beside it;
 * - `riffle_job_progress_elements{job,kind}`: a running job's elements read / emitted so far (its live progress);
 * - `riffle_step_elements{job,step,direction}`, `riffle_step_errors`, `riffle_step_dropped_late`,
 *   `riffle_step_throughput{job,step,direction}` (elements/s), `riffle_step_watermark_seconds` and
 *   `riffle_step_watermark_lag_seconds{job,step}`, `riffle_step_backlog{job,step,unit}` (read steps whose source
 *   tells it: elements or bytes left): running jobs' live step figures, set at each scrape (so a job's
 *   series go when it ends), at most MAX_STEP_SERIES_STEPS steps per job;
 * - `riffle_pool_slots_used{pool}` and `riffle_bus_backlog{topic,subscription}` when the server has pools / a bus;
 * - `riffle_dag_runs{dag,state}` and `riffle_task_instances{state}`: the orchestrator store's runs and task instances;
 * - `riffle_http_requests_total{method,route,status}` and `riffle_http_request_duration_seconds{method,route}`;
 * - the process's own figures (`riffle_process_*`, `riffle_nodejs_*`: CPU, memory, event-loop lag).
 * State gauges are set by `refresh` just before each scrape, so they are never stale. prom-client is imported when
 * the metrics are created, so importing this folder stays light.
 * @example
 *   const m = await createRiffleMetrics({ refresh: async (g) => g.jobs({ running: 1 }) });
 *   m.observeRequest('GET', '/api/jobs', 200, 0.002);
 *   res.end(await m.text());
 */
import type { StepMetrics } from '../model/index.ts';

/** The state gauges, set by the refresh hook before a scrape. */
export interface StateGauges {
  jobs(countByState: Readonly<Record<string, number>>): void;
  dagRuns(rows: ReadonlyArray<{ dag: string; state: string; count: number }>): void;
  taskInstances(countByState: Readonly<Record<string, number>>): void;
  jobProgress(job: string, elementsRead: number, elementsProcessed: number): void;
  /** A running job's latest step figures (the first MAX_STEP_SERIES_STEPS steps). */
  steps(job: string, steps: ReadonlyArray<LiveStepFigures>): void;
  /** Slots of each orchestrator pool that queued and running task instances take. */
  pools(rows: ReadonlyArray<{ pool: string; used: number }>): void;
  /** Messages each bus subscription has not acknowledged yet. */
  busBacklog(rows: ReadonlyArray<{ topic: string; subscription: string; backlog: number }>): void;
}

/** What /metrics shows of a step of a running job. */
export interface LiveStepFigures {
  readonly step: string;
  readonly elementsIn: number;
  readonly elementsOut: number;
  readonly errors: number;
  readonly droppedLate: number;
  readonly inPerSecond: number | null;
  readonly outPerSecond: number | null;
  /** Event-time ms of the output watermark (finite), else null. */
  readonly watermark: number | null;
  readonly watermarkLagMs: number | null;
  /** A read step's backlog (SourceBacklog), null when its source does not tell it. */
  readonly backlog?: number | null;
  readonly backlogUnit?: 'elements' | 'bytes' | null;
}

/** Steps of one job that get series (a bound on the labels a huge graph can make). */
export const MAX_STEP_SERIES_STEPS = 200;

export interface RiffleMetrics {
  /** The content type of `text()` (Prometheus text format 0.0.4). */
  readonly contentType: string;
  /** Counts a served HTTP request; `route` is the route's pattern (`/api/jobs/:id`), never the raw path. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** Adds a finished job's per-step counts (call once per job and server process). */
  addJobSteps(job: string, steps: readonly StepMetrics[]): void;
  /** The exposition text, after refreshing the state gauges. */
  text(): Promise<string>;
}

export interface RiffleMetricsOptions {
  /** Sets the state gauges (called before each scrape; its errors propagate to the scrape). */
  readonly refresh?: (gauges: StateGauges) => Promise<void>;
  /** Whether to add the process's default metrics (default true). */
  readonly processMetrics?: boolean;
}

/** Creates a registry with Riffle's metrics. */
export async function createRiffleMetrics(options: RiffleMetricsOptions = {}): Promise<RiffleMetrics> {
  const prom = (await import('prom-client')).default;
  const registry = new prom.Registry();
  const registers = [registry];
  const jobs = new prom.Gauge({ name: 'riffle_jobs', help: 'Jobs of the server per state.', labelNames: ['state'], registers });
  const elements = new prom.Counter({ name: 'riffle_job_elements_total', help: 'Elements into (direction=in) and out of (direction=out) each step of a finished job.', labelNames: ['job', 'step', 'direction'], registers });
  const stepErrors = new prom.Counter({ name: 'riffle_job_step_errors_total', help: 'Records rejected by each step of a finished job.', labelNames: ['job', 'step'], registers });
  const droppedLate = new prom.Counter({ name: 'riffle_job_step_dropped_late_total', help: 'Elements dropped as late by each step of a finished job.', labelNames: ['job', 'step'], registers });
  const progress = new prom.Gauge({ name: 'riffle_job_progress_elements', help: 'Elements read (kind=read) and emitted by non-source steps (kind=processed) so far by a running job.', labelNames: ['job', 'kind'], registers });
  const dagRuns = new prom.Gauge({ name: 'riffle_dag_runs', help: 'DAG runs in the orchestrator store per DAG and state.', labelNames: ['dag', 'state'], registers });
  const taskInstances = new prom.Gauge({ name: 'riffle_task_instances', help: 'Task instances in the orchestrator store per state.', labelNames: ['state'], registers });
  const requests = new prom.Counter({ name: 'riffle_http_requests_total', help: 'HTTP requests served, per method, route pattern and status.', labelNames: ['method', 'route', 'status'], registers });
  const latency = new prom.Histogram({
    name: 'riffle_http_request_duration_seconds', help: 'HTTP request latency per method and route pattern.', labelNames: ['method', 'route'], registers,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  const stepElements = new prom.Gauge({ name: 'riffle_step_elements', help: "Elements into and out of a running job's step so far.", labelNames: ['job', 'step', 'direction'], registers });
  const liveErrors = new prom.Gauge({ name: 'riffle_step_errors', help: "Elements a running job's step rejected so far.", labelNames: ['job', 'step'], registers });
  const stepLate = new prom.Gauge({ name: 'riffle_step_dropped_late', help: "Elements a running job's step dropped as late so far.", labelNames: ['job', 'step'], registers });
  const stepRate = new prom.Gauge({ name: 'riffle_step_throughput', help: "Elements a second into / out of a running job's step (last interval).", labelNames: ['job', 'step', 'direction'], registers });
  const stepWatermark = new prom.Gauge({ name: 'riffle_step_watermark_seconds', help: "A running job's step output watermark (event time, Unix seconds).", labelNames: ['job', 'step'], registers });
  const stepLag = new prom.Gauge({ name: 'riffle_step_watermark_lag_seconds', help: "Processing time minus a running job's step output watermark.", labelNames: ['job', 'step'], registers });
  const stepBacklog = new prom.Gauge({ name: 'riffle_step_backlog', help: "What a running job's read step has left to read, as its source tells it (unit: elements or bytes); absent where unknown.", labelNames: ['job', 'step', 'unit'], registers });
  const poolSlots = new prom.Gauge({ name: 'riffle_pool_slots_used', help: 'Slots of an orchestrator pool that queued and running task instances take.', labelNames: ['pool'], registers });
  const busBacklog = new prom.Gauge({ name: 'riffle_bus_backlog', help: "Messages of a bus topic a subscription has not acknowledged.", labelNames: ['topic', 'subscription'], registers });
  const live = [stepElements, liveErrors, stepLate, stepRate, stepWatermark, stepLag, stepBacklog, poolSlots, busBacklog];
  if (options.processMetrics !== false) prom.collectDefaultMetrics({ register: registry, prefix: 'riffle_' });

  const gauges: StateGauges = {
    jobs(counts) {
      jobs.reset();
      for (const [state, n] of Object.entries(counts)) jobs.set({ state }, n);
    },
    dagRuns(rows) {
      dagRuns.reset();
      for (const r of rows) dagRuns.set({ dag: r.dag, state: r.state }, r.count);
    },
    taskInstances(counts) {
      taskInstances.reset();
      for (const [state, n] of Object.entries(counts)) taskInstances.set({ state }, n);
    },
    jobProgress(job, read, processed) {
      progress.set({ job, kind: 'read' }, read);
      progress.set({ job, kind: 'processed' }, processed);
    },
    steps(job, steps) {
      for (const s of steps.slice(0, MAX_STEP_SERIES_STEPS)) {
        const step = s.step;
        stepElements.set({ job, step, direction: 'in' }, s.elementsIn);
        stepElements.set({ job, step, direction: 'out' }, s.elementsOut);
        liveErrors.set({ job, step }, s.errors);
        stepLate.set({ job, step }, s.droppedLate);
        if (s.inPerSecond !== null) stepRate.set({ job, step, direction: 'in' }, s.inPerSecond);
        if (s.outPerSecond !== null) stepRate.set({ job, step, direction: 'out' }, s.outPerSecond);
        if (s.watermark !== null) stepWatermark.set({ job, step }, s.watermark / 1000);
        if (s.watermarkLagMs !== null) stepLag.set({ job, step }, s.watermarkLagMs / 1000);
        if (s.backlog !== undefined && s.backlog !== null && s.backlogUnit) stepBacklog.set({ job, step, unit: s.backlogUnit }, s.backlog);
      }
    },
    pools(rows) {
      for (const r of rows) poolSlots.set({ pool: r.pool }, r.used);
    },
    busBacklog(rows) {
      for (const r of rows) busBacklog.set({ topic: r.topic, subscription: r.subscription }, r.backlog);
    },
  };
  return {
    contentType: registry.contentType,
    observeRequest(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      latency.observe({ method, route }, seconds);
    },
    addJobSteps(job, steps) {
      for (const s of steps) {
        elements.inc({ job, step: s.step, direction: 'in' }, s.elementsIn);
        elements.inc({ job, step: s.step, direction: 'out' }, s.elementsOut);
        stepErrors.inc({ job, step: s.step }, s.errors);
        droppedLate.inc({ job, step: s.step }, s.droppedLate);
      }
    },
    async text() {
      progress.reset();
      for (const g of live) g.reset();
      await options.refresh?.(gauges);
      return registry.metrics();
    },
  };
}
