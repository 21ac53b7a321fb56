import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LineageEvent } from '../api/types.ts';
import { buildLineage, columnNodeId, datasetNodeId, expandColumns, filterLineage, shortName } from './lineage-model.ts';

const ev = (eventType: LineageEvent['eventType'], runId: string, job: string, t: number, inputs: string[], outputs: string[]): LineageEvent => ({
  eventType, eventTime: new Date(Date.UTC(2026, 11, 7, 0, 0, t)).toISOString(), run: { runId, facets: {} }, job: { namespace: 'riffle', name: job, facets: {} },
  inputs: inputs.map((name) => ({ namespace: 'file', name })), outputs: outputs.map((name) => ({ namespace: 'file', name })),
});

describe('lineage model', () => {
  it('links input datasets to jobs and jobs to outputs, once per pair, with each job’s latest state and run count', () => {
    const g = buildLineage([
      ev('COMPLETE', 'r1', 'etl.ts', 2, ['/data/in.csv'], ['/data/out.jsonl']),
      ev('START', 'r1', 'etl.ts', 1, ['/data/in.csv'], []),
      ev('START', 'r2', 'etl.ts', 3, ['/data/in.csv'], []),
      ev('FAIL', 'r2', 'etl.ts', 4, ['/data/in.csv'], []),
      ev('COMPLETE', 'r3', 'report.ts', 5, ['/data/out.jsonl'], ['/data/report.html']),
    ]);
    assert.deepEqual(g.nodes.filter((n) => n.kind === 'job').map((n) => [n.name, n.state, n.runs]), [['etl.ts', 'FAIL', 2], ['report.ts', 'COMPLETE', 1]]);
    assert.deepEqual(g.nodes.filter((n) => n.kind === 'dataset').map((n) => n.name).sort(), ['/data/in.csv', '/data/out.jsonl', '/data/report.html']);
    assert.deepEqual(g.edges.map((e) => e.id).sort(), [
      'ds:file:/data/in.csv>job:riffle:etl.ts', 'ds:file:/data/out.jsonl>job:riffle:report.ts', 'job:riffle:etl.ts>ds:file:/data/out.jsonl', 'job:riffle:report.ts>ds:file:/data/report.html',
    ]);
  });
  it('leaves out jobs without datasets unless asked, filters by name with neighbours, and caps the nodes', () => {
    const g = buildLineage([
      ev('COMPLETE', 'r1', 'etl.ts', 1, ['/data/in.csv'], ['/data/out.jsonl']),
      ev('COMPLETE', 'r2', 'daily.extract', 2, [], []),
      ev('COMPLETE', 'r3', 'report.ts', 3, ['/data/out.jsonl'], ['/data/report.html']),
    ]);
    const names = (x: { nodes: Array<{ name: string }> }) => x.nodes.map((n) => n.name).sort();
    assert.deepEqual(names(filterLineage(g, { includeIsolated: false, text: '', max: 100 })), ['/data/in.csv', '/data/out.jsonl', '/data/report.html', 'etl.ts', 'report.ts']);
    assert.equal(filterLineage(g, { includeIsolated: true, text: '', max: 100 }).nodes.length, 6);
    const found = filterLineage(g, { includeIsolated: false, text: 'REPORT', max: 100 });
    assert.deepEqual(names(found), ['/data/out.jsonl', '/data/report.html', 'report.ts']);
    assert.equal(found.edges.length, 2);
    const capped = filterLineage(g, { includeIsolated: true, text: '', max: 2 });
    assert.deepEqual([capped.nodes.length, capped.hidden], [2, 4]);
    assert.ok(capped.edges.every((e) => capped.nodes.some((n) => n.id === e.from) && capped.nodes.some((n) => n.id === e.to)));
  });

  it('shortens long paths', () => {
    assert.equal(shortName('/tmp/x/out/revenue/part-0.jsonl'), '…/revenue/part-0.jsonl');
    assert.equal(shortName('a/b'), 'a/b');
  });

  it('expands the column level: a node per field of a dataset with column lineage, edges from input fields labelled with the transformation', () => {
    const e = ev('COMPLETE', 'r1', 'sql.ts', 1, ['/in.csv'], ['/out']);
    e.outputs[0]!.facets = { columnLineage: { fields: { total: { inputFields: [{ namespace: 'file', name: '/in.csv', field: 'amount', transformations: [{ type: 'DIRECT', subtype: 'AGGREGATION' }] }] }, country: { inputFields: [{ namespace: 'file', name: '/in.csv', field: 'country', transformations: [{ type: 'DIRECT', subtype: 'IDENTITY' }] }] } } } };
    const g = buildLineage([e, ev('COMPLETE', 'r2', 'other.ts', 2, ['/in.csv'], ['/plain'])]);
    const out = datasetNodeId('file', '/out');
    const input = datasetNodeId('file', '/in.csv');
    assert.deepEqual(Object.keys(g.nodes.find((n) => n.id === out)!.columns!.fields), ['total', 'country']);
    const x = expandColumns(g);
    assert.deepEqual(x.nodes.filter((n) => n.kind === 'column').map((n) => [n.dataset, n.field]).sort(), [[input, 'amount'], [input, 'country'], [out, 'country'], [out, 'total']].sort());
    const edge = x.edges.find((ed) => ed.from === columnNodeId(input, 'amount') && ed.to === columnNodeId(out, 'total'))!;
    assert.equal(edge.label, 'AGGREGATION');
    assert.ok(x.edges.some((ed) => ed.from === out && ed.to === columnNodeId(out, 'total')), 'a dataset links to its fields');
    assert.ok(x.edges.some((ed) => ed.from === input && ed.to === columnNodeId(input, 'amount')), 'an input dataset drawn links to its fields');
    assert.equal(x.nodes.filter((n) => n.dataset === datasetNodeId('file', '/plain')).length, 0, 'no column lineage, no column nodes');
  });
});
