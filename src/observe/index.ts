/**
 * Observability: Prometheus metrics for the server (riffle-metrics.ts), OpenLineage RunEvents of its jobs
 * (openlineage.ts), the event stream a job writes for it (job-events.ts) and alerts (alert-rules.ts: the rules
 * file; alert-engine.ts: conditions and de-duplication; alert-delivery.ts: webhook and SMTP). Light to import: prom-client loads only when metrics are created.
 */
export { JOB_EVENTS_ENV, datasetsOf, graphOf, openJobEvents, parseJobEvents, type JobDataset, type JobEdge, type JobEvent, type JobEventsWriter, type JobProgress, type JobStep, type JobStepSnapshot } from './job-events.ts';
export { createRiffleMetrics, MAX_STEP_SERIES_STEPS, type LiveStepFigures, type RiffleMetrics, type RiffleMetricsOptions, type StateGauges } from './riffle-metrics.ts';
export { columnLineageOf, datasetsOfDescription, type ColumnLineageInput, type DatasetColumnLineage, type LineageDataset } from './column-lineage.ts';
export { LineageLog, lineageRunId, runEvent, OPENLINEAGE_SCHEMA_URL, RIFFLE_NAMESPACE, RIFFLE_PRODUCER, type RunEvent, type RunEventInput, type RunEventType } from './openlineage.ts';
export { loadAlertRules, alertFileSchema, ALERT_KINDS, SEVERITIES, type AlertConfig, type AlertRule, type AlertChannel, type AlertKind, type Severity } from './alert-rules.ts';
export { AlertEngine, conditions, readAlertHistory, type AlertFacts, type AlertJob, type AlertRecord, type Condition } from './alert-engine.ts';
export { deliver, type AlertNotification, type DeliveryOutcome } from './alert-delivery.ts';
