// Metrics both ways without Java: a bundle's figures (elements per PCollection, a step's user metrics) as Beam
// MonitoringInfos, read back as the Job API returns them (several stages, several bundles) and laid over the graph as
// a local run's step table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline } from '../../model/index.ts';
import { create, parDo } from '../../transforms/index.ts';
import { BundleMetrics } from './bundle-metrics.ts';
import { jobMetrics } from './job-metrics.ts';
import { METRIC_LABELS, METRIC_SPECS, readMonitoringInfos } from './monitoring-infos.ts';
import { translatePipeline } from './translate.ts';

test("a bundle's figures: standard URNs and labels, per bundle (reset), user metrics named after the step", () => {
  const m = new BundleMetrics();
  const seen: number[] = [];
  const into = m.counting('pc1', (v: number) => void seen.push(v));
  into(1);
  into(2);
  const ctx = m.forStep('pardo-1', 'Parse');
  ctx.counter('bad').inc();
  ctx.counter('bad').inc(2);
  ctx.distribution('size').update(10);
  ctx.distribution('size').update(-4);
  ctx.gauge('last').set(7);
  const infos = m.monitoringInfos();
  assert.deepEqual(seen, [1, 2]);
  assert.equal(METRIC_SPECS.elementCount.urn, 'beam:metric:element_count:v1');
  assert.equal(METRIC_LABELS.transform, 'PTRANSFORM');
  const count = infos.find((i) => i.urn === 'beam:metric:element_count:v1')!;
  assert.deepEqual([count.type, count.labels], ['beam:metrics:sum_int64:v1', { PCOLLECTION: 'pc1' }]);
  assert.deepEqual(infos.find((i) => i.urn === 'beam:metric:user:sum_int64:v1')!.labels, { PTRANSFORM: 'pardo-1', NAMESPACE: 'Parse', NAME: 'bad' });
  const read = readMonitoringInfos(infos);
  assert.deepEqual([...read.elements], [['pc1', 2]]);
  assert.deepEqual(read.counters, { 'Parse/bad': 3 });
  assert.deepEqual(read.distributions, { 'Parse/size': { count: 2, sum: 6, min: -4, max: 10, mean: 3 } });
  assert.deepEqual(read.gauges, { 'Parse/last': 7 });
  m.reset();
  into(3);
  assert.deepEqual(readMonitoringInfos(m.monitoringInfos()).counters, {}, 'the next bundle starts from zero');
  assert.deepEqual([...readMonitoringInfos(m.monitoringInfos()).elements], [['pc1', 1]]);
});

test('job metrics: counters summed over stages, a PCollection counted by two stages taken once, steps as a local run lists them', () => {
  const p = Pipeline.create();
  p.apply('Numbers', create([1, 2, 3, -1]))
    .apply(
      'Checked',
      parDo({
        process(n: number, ctx) {
          if (n < 0) throw new Error('negative');
          ctx.output(n * 2);
        },
      }).withErrors(),
    );
  const t = translatePipeline(p.graph, { pipeline: { module: 'p.ts', params: {} }, environment: { kind: 'external', url: '127.0.0.1:1' } });
  const pc = (step: string, tag: string) => t.pcollectionIds.get([...p.graph.nodes.values()].find((n) => n.name === step)!.outputs.get(tag)!)!;
  // Stage 1 produces Numbers' output; stage 2 reads it from the data plane and counts it again. The Job API lists each
  // stage's figures (Flink sums a stage's bundles and subtasks).
  const stage1 = new BundleMetrics();
  const produce = stage1.counting(pc('Numbers', 'main'), () => undefined);
  for (let i = 0; i < 4; i++) produce();
  const stage2 = new BundleMetrics();
  const read = stage2.counting(pc('Numbers', 'main'), () => undefined);
  const out = stage2.counting(pc('Checked', 'main'), () => undefined);
  const errors = stage2.counting(pc('Checked', 'errors'), () => undefined);
  for (let i = 0; i < 4; i++) read();
  for (let i = 0; i < 3; i++) out();
  errors();
  stage2.forStep('t1', 'Checked').counter('calls').inc(3);
  const other = new BundleMetrics();
  other.forStep('t1', 'Checked').counter('calls').inc(1);
  const metrics = jobMetrics(p.graph, t.pcollectionIds, [...stage1.monitoringInfos(), ...stage2.monitoringInfos(), ...other.monitoringInfos()]);
  const steps = Object.fromEntries(metrics.steps.map((s) => [s.step, [s.elementsIn, s.elementsOut, s.errors, s.droppedLate]]));
  assert.deepEqual(steps['Numbers'], [0, 4, 0, 0]);
  assert.deepEqual(steps['Checked'], [4, 3, 1, 0]);
  assert.deepEqual(metrics.steps.map((s) => s.step), [...p.graph.nodes.values()].map((n) => n.name));
  assert.deepEqual(metrics.counters, { 'Checked/calls': 4 }, 'summed over the stages reporting it');
});
