/**
 * Observability: Prometheus metrics for the server (riffle-metrics.ts) and the event stream a job writes for it
 * (job-events.ts). Light to import: prom-client loads only when metrics are created.
 */
export { JOB_EVENTS_ENV, graphOf, openJobEvents, parseJobEvents, type JobEdge, type JobEvent, type JobEventsWriter, type JobProgress, type JobStep } from './job-events.ts';
export { createRiffleMetrics, type RiffleMetrics, type RiffleMetricsOptions, type StateGauges } from './riffle-metrics.ts';
