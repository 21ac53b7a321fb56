/**
 * Riffle's orchestrator: DAGs of tasks on schedules, with retries, sensors, branching, mapping and backfills,
 * recorded in a metadata store that survives restarts. See `dag.ts` for the model and `scheduler.ts` for the loop.
 * @example
 *   import { dag } from '../orchestrator/index.ts';
 *   export const etl = dag({ id: 'etl', schedule: '@daily', startDate: '2024-01-01' });
 */
export { dag, Dag, isDag, type DagOptions } from './dag.ts';
export { resolveParams, paramSpecsOf, describeParam, PARAM_TYPES, type ParamSpec, type ParamType, type ParamSource, type ParamValue } from './dag-params.ts';
export { Task, TaskList, chain, parallel, type TaskOptions, type TaskContext, type TaskFn, type CallbackInfo, type SensorOptions, type PokeResult, type Linkable } from './task.ts';
export { TaskGroup, TaskFactory, type TaskDefinition, type SensorDefinition, type TaskInputs } from './task-group.ts';
export { skip, failWithoutRetry } from './signals.ts';
export { TRIGGER_RULES, evaluateTriggerRule, type TriggerRule, type TriggerDecision, type UpstreamCounts } from './trigger-rules.ts';
export { Schedule, type ScheduleSpec, type DataInterval } from './schedule.ts';
export { renderTemplate, templateContext, templateParts, TEMPLATE_NAMES, TEMPLATE_FILTERS, type TemplateContext, type TemplatePart, type TemplateFilter } from './template-context.ts';
export { renderShellCommand, shellQuote } from './shell-quote.ts';
export { parseDateIn, formatDateIn, formatIsoIn, type DateLike } from './zoned-time.ts';
export type * from './metadata-store.ts';
export { taskInstanceId, FINAL_TASK_STATES } from './metadata-store.ts';
export { JournalStore, type JournalStoreOptions } from './journal-store.ts';
export { checkJournalStore, repairJournalStore, type StoreCheckReport, type StoreRepairReport } from './store-check.ts';
export { PostgresStore, type PostgresStoreOptions } from './postgres-store.ts';
export { RemoteLogFolder, withRemoteLogs } from './remote-logs.ts';
export { parseStoreSpec, parsePostgresUrl, openMetadataStore, type StoreSpec, type PostgresLocation } from './store-url.ts';
export { Scheduler, type SchedulerOptions } from './scheduler.ts';
export { ProcessExecutor, InlineExecutor, type Executor, type ProcessExecutorOptions } from './executor.ts';
export { loadDagFolder, loadDagFile, dagFiles, type LoadedDags, type DagFileError } from './dag-loader.ts';
export { testDag, type DagTestResult } from './dag-test.ts';
export { shell, type ShellOptions } from './shell-task.ts';
export { pipeline, type PipelineTaskOptions } from './pipeline-task.ts';
export { models, type ModelsTaskOptions, type ModelsTaskResult } from './models-task.ts';
export { fileSensor, deltaTableSensor, externalTaskSensor, type FileSensorOptions, type DeltaTableSensorOptions, type DeltaTableSensorValue, type ExternalTaskSensorOptions, type ExternalTaskSensorValue } from './sensors.ts';
export { orchestratorMetrics, summarize, type OrchestratorMetrics, type OrchestratorMetricsOptions, type DurationSummary } from './metrics.ts';
export { DagDefinitionError, MetadataStoreError, SchedulerError } from './errors.ts';
export { newDagRun, recordDags, triggerDagRun, setDagPaused, requireRun, selectTasks, clearTaskInstances, markTaskInstances, type ClearResult, type MarkResult } from './admin.ts';
export { submitCommand, pendingCommands, applyCommand, drainInbox, type InboxCommand } from './command-inbox.ts';
