import type { RecordBatch } from 'apache-arrow';
import { elementWise, type ElementWise } from './element-wise.ts';

/**
 * One output batch per Arrow record batch (e.g. from `io.delta.read(path, { batches: true })`): a map whose elements
 * are whole batches, so the function works on typed columns rather than on one row at a time.
 *
 * @example
 * batches.apply(mapBatches((b) => b.selectAt([0, 1])))
 */
export function mapBatches(fn: (batch: RecordBatch) => RecordBatch, name = 'MapBatches'): ElementWise<RecordBatch, RecordBatch> {
  return elementWise<RecordBatch, RecordBatch>(name, { kind: 'map', fn });
}
