import { describeAsset, scanAsset, type DataAsset, type MalformedRecords } from './data-asset.ts';
import { MetricsPlan, type PlanOptions } from './metrics-plan.ts';
import type { ValidationResult } from './result.ts';
import type { Suite } from './suite.ts';
import type { Row } from './values.ts';

export interface ValidateAssetOptions extends PlanOptions {
  readonly runId?: string;
  readonly signal?: AbortSignal;
  /** Maps each row before validation (contracts coerce CSV text to their declared types). */
  readonly mapRow?: (row: Row) => Row;
  /** Called after each batch with the rows read so far (progress). */
  readonly onProgress?: (rows: number) => void;
}

/**
 * Validates a data asset with a suite in one streaming pass: files and Delta tables are read batch by batch (memory
 * bounded by one batch or row group plus the metrics' budgets), every expectation's metrics computed on the way.
 * The result's meta names the asset (`data_asset`) and counts malformed records the reader could not read
 * (`malformed_records`); any such record fails the validation (`success: false`), since those rows were not checked.
 * @example
 *   const result = await quality.validateAsset(quality.asset.delta('lake/orders'), ordersSuite);
 */
export async function validateAsset(a: DataAsset, s: Suite | MetricsPlan, options: ValidateAssetOptions = {}): Promise<ValidationResult> {
  const malformed: MalformedRecords = { count: 0, examples: [] };
  const plan = s instanceof MetricsPlan ? s : new MetricsPlan(s, options);
  const acc = plan.newAccumulator();
  const map = options.mapRow;
  let columns: readonly string[] | undefined;
  // Without a row mapping, a Delta table decodes only the columns the suite reads (when it reads no whole rows).
  const only = map === undefined ? plan.columnarColumns : undefined;
  for await (const batch of scanAsset(a, { malformed, ...(options.signal ? { signal: options.signal } : {}), ...(only ? { columns: only } : {}) })) {
    if (columns === undefined && batch.columns.length > 0) {
      columns = batch.columns;
      if (plan.columns === undefined) acc.columns = [...columns];
    }
    if (batch.data !== undefined && map === undefined) acc.addColumns(batch.columns, batch.data, batch.length);
    else acc.addAll(map ? batch.rows.map(map) : (batch.rows as Row[]));
    options.onProgress?.(acc.rowCount);
  }
  if (acc.columns === undefined) acc.columns = [...(columns ?? [])];
  const result = acc.finish({
    ...(options.runId !== undefined ? { run_id: options.runId } : {}),
    data_asset: describeAsset(a),
    ...(malformed.count > 0 ? { malformed_records: malformed } : {}),
  });
  // Records that could not be read were not validated: the validation cannot pass over them.
  return malformed.count > 0 ? { ...result, success: false } : result;
}
