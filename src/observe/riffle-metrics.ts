/**
 * Riffle's Prometheus metrics (prom-client), as `riffle server` exposes them at /metrics:
 * - `riffle_jobs{state}`: jobs per state (pending, running, draining, succeeded, failed, cancelled);
 * - `riffle_job_elements_total{job,step,direction}`: elements into and out of each step of a finished job;
 *   `riffle_job_step_errors_total{job,step}` and `riffle_job_step_dropped_late_total{job,step}` beside it;
 * - `riffle_job_progress_elements{job,kind}`: a running job's elements read / emitted so far (its live progress);
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
}

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
      await options.refresh?.(gauges);
      return registry.metrics();
    },
  };
}
