/**
 * Data quality: Great Expectations' expectations over one-pass metrics (KS and KL tests included), suites, reports
 * (Markdown and static HTML), pipeline transforms (`quality.validate`, `quality.gate`), data assets streamed from
 * files and Delta tables (`validateAsset`), checkpoints with actions (results store with history, a data docs site,
 * webhooks) and a task gate for the orchestrator (`checkpointTask`), data contracts, profiling, freshness and SLAs.
 * @example
 *   import * as quality from 'riffle/quality';
 *   const s = quality.suite('orders', [quality.expect.columnValuesToNotBeNull('order_id')]);
 *   const result = quality.validate(rows, s);
 *   console.log(quality.toMarkdown(result));
 *   const run = await quality.runCheckpoint(quality.loadCheckpoint('quality/orders.checkpoint.yaml'));
 */
export type { Row } from './values.ts';
export type { ExpectationConfig, ExpectationResult, ExpectationResultDetails, ValidationResult, ValidationStatistics } from './result.ts';
export type { ExpectationType } from './expectation.ts';
export { SuiteError, QualityGateError, DataAssetError } from './quality-error.ts';
export { expectationTypes, compileExpectation } from './registry.ts';
export { expect } from './expect.ts';
export { suite, parseSuite, loadSuite, saveSuite, type Suite } from './suite.ts';
export { MetricsPlan, SuiteAccumulator, type PlanOptions, type RowFailure } from './metrics-plan.ts';
export { DEFAULT_LIMITS, type ProfileLimits } from './column-profile.ts';
export { validate } from './validate.ts';
export { toMarkdown, observedText } from './markdown-report.ts';
export { toHtml, type HtmlOptions } from './html-report.ts';
export { validateRows as validateTransform, gate, assertPasses, failedExpectations, suiteCombineFn, type QuarantinedRow, type ValidatedOutputs } from './pipeline-validate.ts';
export { loadContract, parseContract, type DataContract, type ContractField, type ContractModel, type ContractRule } from './contract.ts';
export { compileContract, logicalType, type CompiledContract } from './contract-compile.ts';
export { diffContracts, isWidening, type ContractChange, type ContractDiff } from './contract-diff.ts';
export { isDateutilParseable } from './expectations/dateutil-parse.ts';
export { checkFreshness, evaluateSla, parseSlaDuration, type FreshnessCheck, type FreshnessStatus, type SlaEvaluation, type SlaMeasurements, type SloResult, type SloStatus } from './freshness.ts';
export { profileRows, profileAsset, type ColumnSummary, type DataProfile, type ProfileOptions, type ProfiledType } from './profile.ts';
export { asset, assetFromPath, parseAsset, describeAsset, scanAsset, formatOf, isDeltaTable, inferKind, type DataAsset, type RowsAsset, type FileAsset, type DeltaAsset, type RowBatch, type CsvTypes, type CellKind, type FileFormat, type MalformedRecords } from './data-asset.ts';
export { deltaLastCommitTime, checkDeltaFreshness } from './parquet-scan.ts';
export { validateAsset, type ValidateAssetOptions } from './validate-asset.ts';
export { storeResult, listResults, listSuites, readStoredResult, resultPath, safeName, type RunId, type StoredResultEntry } from './results-store.ts';
export { updateDataDocs, dataDocsEntries, type DataDocsEntry } from './data-docs.ts';
export { checkpoint, runCheckpoint, loadCheckpoint, parseCheckpoint, checkpointTask, assertCheckpointPasses, summarize, type Checkpoint, type CheckpointAction, type CheckpointValidation, type CheckpointResult, type CheckpointValidationResult, type CheckpointSummary, type CheckpointTaskContext, type ActionOutcome, type WebhookOn } from './checkpoint.ts';
