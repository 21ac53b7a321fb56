// The examples and the Nexmark queries translate to well-formed Runner API pipelines (every referenced id exists,
// the bytes round-trip), with the URNs and coders expected; what the portable runner cannot run is refused, naming
// the step and why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { Pipeline, type PipelineDefinition } from '../../src/index.ts';
import { pipelineProblems, translatePipeline, TRANSFORM_URNS, UntranslatableError, type Translation } from '../../src/runner/portable/index.ts';
import { PipelineSchema } from '../../src/runner/portable/gen/pipeline/v1/beam_runner_api_pb.ts';
import batchEtl from '../../examples/batch-etl.ts';
import quickstart from '../../examples/quickstart.ts';
import streamingBus from '../../examples/streaming-bus.ts';
import streamingWindows from '../../examples/streaming-windows.ts';
import fraudDetection from '../../examples/fraud-detection.ts';
import nexmark from '../../bench/nexmark/pipeline.ts';

const ROOT = join(import.meta.dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'riffle-portable-translate-'));
process.on('exit', () => rmSync(out, { recursive: true, force: true }));

async function translateModule(def: PipelineDefinition<any>, module: string, raw: Record<string, string>): Promise<Translation> {
  const params = def.parseParams(raw);
  const p = Pipeline.create();
  await def.build(p, params);
  return translatePipeline(p.graph, { pipeline: { module, params }, environment: { kind: 'external', url: '127.0.0.1:50000' }, files: [{ path: join(ROOT, module), stagedName: module }] });
}

function check(t: Translation): Map<string, number> {
  assert.deepEqual(pipelineProblems(t.pipeline), []);
  assert.deepEqual(fromBinary(PipelineSchema, toBinary(PipelineSchema, t.pipeline)), t.pipeline);
  const urns = new Map<string, number>();
  for (const tr of Object.values(t.pipeline.components!.transforms)) {
    const urn = tr.spec?.urn ?? '(composite)';
    urns.set(urn, (urns.get(urn) ?? 0) + 1);
  }
  return urns;
}

test('examples: quickstart, batch-etl, streaming-bus, fraud-detection translate; streaming-windows (a TestStream) is refused', async () => {
  const q = check(await translateModule(quickstart, 'examples/quickstart.ts', { output: join(out, 'quickstart') }));
  assert.ok((q.get(TRANSFORM_URNS.combinePerKey) ?? 0) >= 2, 'revenue per country and events per type are Beam combines');
  assert.ok((q.get(TRANSFORM_URNS.impulse) ?? 0) >= 1);
  assert.ok((q.get(TRANSFORM_URNS.flatten) ?? 0) >= 1);
  const etl = check(await translateModule(batchEtl, 'examples/batch-etl.ts', { output: join(out, 'etl') }));
  assert.ok((etl.get(TRANSFORM_URNS.parDo) ?? 0) > 5);
  check(await translateModule(streamingBus, 'examples/streaming-bus.ts', { output: join(out, 'bus'), readings: '20', sensors: '2' }));
  const fraud = await translateModule(fraudDetection, 'examples/fraud-detection.ts', {});
  check(fraud);
  assert.ok(Object.values(fraud.pipeline.components!.pcollections).some((c) => c.isBounded === 1), 'a Kafka read is unbounded');
  await assert.rejects(translateModule(streamingWindows, 'examples/streaming-windows.ts', { output: join(out, 'sw') }), (e: unknown) => e instanceof UntranslatableError && /TestStream/.test(e.message));
});

test('Nexmark: every query translates; the groupings Flink cannot window (4, 6, 9: a custom merging window function; 10: early firings) are windowed in the harness', async () => {
  const harnessGroupings = (t: Translation) =>
    Object.values(t.pipeline.components!.transforms)
      .filter((tr) => tr.uniqueName.endsWith('/GroupAlsoByWindow'))
      .map((tr) => tr.uniqueName.slice(0, -'/GroupAlsoByWindow'.length));
  for (let query = 0; query <= 12; query++) {
    const raw = { query: String(query), events: '1000', outputPath: join(out, `q${query}`) };
    const t = await translateModule(nexmark, 'bench/nexmark/pipeline.ts', raw);
    const urns = check(t);
    assert.equal(urns.get(TRANSFORM_URNS.impulse), 1, `query ${query}: one source`);
    assert.ok(t.transformIds.has('CountOutputs'), `query ${query}: every step has its transform`);
    const inHarness = harnessGroupings(t);
    if ([4, 6, 9].includes(query)) assert.ok(inHarness.some((n) => n.startsWith('JoinAuctionsAndBids')), `query ${query}: the auction-bid join is windowed in the harness (${inHarness.join(', ')})`);
    else if (query === 10) assert.ok(inHarness.some((n) => n.startsWith('Q10.WriteLogs')), `query 10: the triggered write's groupings are windowed in the harness (${inHarness.join(', ')})`);
    else if (![11, 12].includes(query)) assert.deepEqual(inHarness, [], `query ${query}: every grouping is the runner's`);
  }
});

test('a grouping windowed in the harness: ReifyWindows → a GroupByKey in the global window → GroupAlsoByWindow into the step\'s own PCollection', async () => {
  const t = await translateModule(nexmark, 'bench/nexmark/pipeline.ts', { query: '9', events: '1000', outputPath: join(out, 'q9b') });
  const c = t.pipeline.components!;
  const gbk = Object.values(c.transforms).find((tr) => /JoinAuctionsAndBids.*\/GroupByKeyGlobally$/.test(tr.uniqueName))!;
  assert.equal(gbk.spec!.urn, TRANSFORM_URNS.groupByKey);
  const input = c.pcollections[gbk.inputs['main']!]!;
  assert.equal(c.windowingStrategies[input.windowingStrategyId]!.windowFn!.urn, 'beam:window_fn:global_windows:v1', 'the runner groups in the global window');
  const value = c.coders[c.coders[input.coderId]!.componentCoderIds[1]!]!;
  assert.equal(value.spec!.urn, 'riffle:coder:windowed_value:v1', 'each element keeps its timestamp, windows and pane');
  const gabw = Object.values(c.transforms).find((tr) => /JoinAuctionsAndBids.*\/GroupAlsoByWindow$/.test(tr.uniqueName))!;
  const output = c.pcollections[gabw.outputs['main']!]!;
  assert.equal(c.windowingStrategies[output.windowingStrategyId]!.windowFn!.urn, 'riffle:window_fn:custom:v1', 'the output is in the merged auction-or-bid windows');
});
