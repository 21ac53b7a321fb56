// Column lineage of a run's outputs (ColumnLineageDatasetFacet): a SQL transform over a CSV read (identity,
// aggregation and transformation fields, WHERE/GROUP BY as dataset-level INDIRECT) written as JSON Lines and to a
// Delta table, the same rows passed through a filter, a JOIN of two reads (the parsing itself: src/sql/sql-lineage.test.ts), a pass-through of a Delta read's declared columns, and no facet where a map hides it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { filter, io, map, Pipeline } from '../index.ts';
import { sql } from '../sql/index.ts';
import { datasetsOf } from './job-events.ts';
import { runEvent } from './openlineage.ts';

const dir = mkdtempSync(join(tmpdir(), 'riffle-column-lineage-'));
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'in'));
writeFileSync(join(dir, 'in', 'orders.csv'), 'id,country,amount,cid\n1,fr,10,7\n2,de,-3,8\n3,fr,5,7\n');
writeFileSync(join(dir, 'in', 'customers.csv'), 'id,name\n7,Ada\n8,Bo\n');
const orders = join(dir, 'in', 'orders.csv');
const customers = join(dir, 'in', 'customers.csv');
const schema = { id: 'long', country: 'string', amount: 'double', cid: 'long' } as const;
const direct = (subtype: string) => ({ type: 'DIRECT', subtype });

describe('column lineage', () => {
  it('of a SQL transform: each output column from its input columns, WHERE and GROUP BY on the whole dataset; a filter after it passes it on', async () => {
    const p = Pipeline.create();
    const rows = p.apply('Orders', io.files.readCsv(orders, { columns: { amount: 'number', id: 'integer', cid: 'integer' } }));
    const totals = sql.transform('SELECT country, sum(amount) AS total, upper(country) || \'!\' AS shout FROM orders WHERE amount > 0 GROUP BY country ORDER BY country', { inputs: { orders: { collection: rows, schema } } });
    totals.apply('Write', io.files.writeJsonl(join(dir, 'out', 'totals')));
    totals.apply(filter((r: Record<string, unknown>) => (r.total as number) > 10)).apply('WriteBig', io.files.writeJsonl(join(dir, 'out', 'big')));
    totals.apply('Lake', io.delta.write(join(dir, 'lake', 'totals'), { schema: { country: 'string', total: 'double', shout: 'string' } }));
    const result = await p.run();
    assert.equal(result.state, 'DONE');
    const { inputs, outputs } = datasetsOf(p.graph);
    assert.deepEqual(inputs, [{ namespace: 'file', name: orders }]);
    const of = (field: string, transformations: object[]) => ({ namespace: 'file', name: orders, field, transformations });
    const expected = {
      fields: {
        country: { inputFields: [of('country', [direct('IDENTITY')])] },
        total: { inputFields: [of('amount', [direct('AGGREGATION')])] },
        shout: { inputFields: [of('country', [direct('TRANSFORMATION')])] },
      },
      dataset: [of('amount', [{ type: 'INDIRECT', subtype: 'FILTER' }]), of('country', [{ type: 'INDIRECT', subtype: 'GROUP_BY' }])],
    };
    assert.deepEqual(outputs.map((o) => o.name), [join(dir, 'out', 'totals'), join(dir, 'out', 'big'), join(dir, 'lake', 'totals')]);
    assert.deepEqual(outputs[0]!.columnLineage, expected);
    assert.deepEqual(outputs[1]!.columnLineage, expected, 'a filter passes the rows, and their lineage, through');
    assert.deepEqual(outputs[2]!.columnLineage, expected, 'a Delta write (staged, then committed) of the same rows');
    const event = runEvent({ eventType: 'COMPLETE', jobId: 'j', jobName: 'sql.ts', time: new Date(), outputs });
    const facet = event.outputs[0]!.facets.columnLineage as Record<string, unknown>;
    assert.match(String(facet._schemaURL), /facets\/1-2-0\/ColumnLineageDatasetFacet\.json#\/\$defs\/ColumnLineageDatasetFacet$/);
    assert.deepEqual(facet.fields, expected.fields);
  });

  it('of a join of two CSV reads, run: fields from both files', async () => {
    const p = Pipeline.create();
    const o = p.apply('Orders', io.files.readCsv(orders, { columns: { id: 'integer', cid: 'integer' } }));
    const c = p.apply('Customers', io.files.readCsv(customers, { columns: { id: 'integer' } }));
    sql.transform('SELECT o.id, c.name FROM orders o JOIN customers c ON o.cid = c.id', { inputs: { orders: o, customers: c } })
      .apply('Write', io.files.writeJsonl(join(dir, 'out', 'joined')));
    assert.equal((await p.run()).state, 'DONE');
    const lineage = datasetsOf(p.graph).outputs[0]!.columnLineage;
    assert.deepEqual(Object.keys(lineage!.fields), ['id', 'name']);
    assert.deepEqual(lineage!.fields.name!.inputFields.map((f) => [f.name, f.field]), [[customers, 'name']]);
    assert.deepEqual(lineage!.dataset!.map((f) => [f.name, f.field, f.transformations[0]!.subtype]), [[orders, 'cid', 'JOIN'], [customers, 'id', 'JOIN']]);
  });

  it('of rows passed through from a Delta read of declared columns; none where a map makes the rows', async () => {
    const table = join(dir, 'lake', 'orders');
    const w = Pipeline.create();
    w.apply('Orders', io.files.readCsv(orders, { columns: { id: 'integer', amount: 'number', cid: 'integer' } }))
      .apply('Write', io.delta.write(table, { schema: { id: 'integer', country: 'string', amount: 'double', cid: 'integer' } }));
    const written = await w.run();
    assert.equal(written.state, 'DONE', JSON.stringify(written.deadLetters.slice(0, 1)));
    const p = Pipeline.create();
    const rows = p.apply('Read', io.delta.read(table, { columns: ['id', 'amount'] }));
    rows.apply(filter((r: Record<string, unknown>) => (r.amount as number) > 0)).apply('Copy', io.files.writeJsonl(join(dir, 'out', 'copy')));
    rows.apply(map((r: Record<string, unknown>) => ({ ...r, extra: 1 }))).apply('Mapped', io.files.writeJsonl(join(dir, 'out', 'mapped')));
    assert.equal((await p.run()).state, 'DONE');
    const { inputs, outputs } = datasetsOf(p.graph);
    assert.deepEqual(inputs, [{ namespace: 'file', name: table }]);
    assert.deepEqual(outputs[0]!.columnLineage, {
      fields: {
        id: { inputFields: [{ namespace: 'file', name: table, field: 'id', transformations: [direct('IDENTITY')] }] },
        amount: { inputFields: [{ namespace: 'file', name: table, field: 'amount', transformations: [direct('IDENTITY')] }] },
      },
    });
    assert.equal(outputs[1]!.columnLineage, undefined, 'a map hides which fields it makes');
  });
});
