import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline } from './pipeline.ts';
import { declareFieldLineage, fieldLineageOf, type FieldLineage } from './field-lineage.ts';

test('field lineage declared by another copy of Riffle (another module instance) is seen by this one', async () => {
  // A second instance of the module, as a pipeline importing its own installed riffle while the CLI runs dist/ has.
  const other = (await import(`./field-lineage.ts?copy=${Date.now()}`)) as typeof import('./field-lineage.ts');
  assert.notEqual(other.declareFieldLineage, declareFieldLineage);
  const p = Pipeline.create();
  const graph = p.graph;
  const lineage: FieldLineage = { fields: { total: [{ collection: 'orders', field: 'amount', type: 'DIRECT', subtype: 'AGGREGATION' }] } };
  other.declareFieldLineage({ graph, id: 'c1' }, lineage);
  assert.equal(fieldLineageOf(graph, 'c1'), lineage);
  declareFieldLineage({ graph, id: 'c2' }, lineage);
  assert.equal(other.fieldLineageOf(graph, 'c2'), lineage);
});
