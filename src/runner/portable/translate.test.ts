// Translation of Riffle pipeline graphs to Beam Runner API protos: standard URNs, coders, windowing strategies with
// triggers, state and timers, side inputs, combiner lifting, and refusals that name the step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { coders, kv, Pipeline, triggers, windowFns, type KV, type Trigger } from '../../model/index.ts';
import { combine, create, createTimestamped, groupByKey, parDo, state, testStream, timer, view, windowInto } from '../../transforms/index.ts';
import {
  AccumulationMode_Enum,
  ClosingBehavior_Enum,
  MergeStatus_Enum,
  OutputTime_Enum,
  ParDoPayloadSchema,
  PipelineSchema,
  TimeDomain_Enum,
  type Pipeline as PipelineProto,
} from './gen/pipeline/v1/beam_runner_api_pb.ts';
import { FixedWindowsPayloadSchema } from './gen/pipeline/v1/standard_window_fns_pb.ts';
import { decodeRifflePayload, describeCoderSpec, pipelineProblems, translatePipeline, triggerFromProto, triggerToProto, UntranslatableError } from './index.ts';
import { CODER_URNS, REQUIREMENT_URNS, RIFFLE_URNS, SIDE_INPUT_URNS, TRANSFORM_URNS, WINDOW_FN_URNS } from './urns.ts';

const REF = { module: 'pipeline.ts', params: { n: 3 } };
const ENV = { kind: 'external', url: '127.0.0.1:50000' } as const;

function translate(p: Pipeline) {
  const t = translatePipeline(p.graph, { pipeline: REF, environment: ENV, files: [{ path: '/tmp/pipeline.ts', stagedName: 'pipeline.ts' }] });
  assert.deepEqual(pipelineProblems(t.pipeline), []);
  const again = fromBinary(PipelineSchema, toBinary(PipelineSchema, t.pipeline));
  assert.deepEqual(again, t.pipeline, 'the pipeline survives a round trip through its bytes');
  return t;
}

const transformsByName = (p: PipelineProto) => new Map(Object.values(p.components!.transforms).map((t) => [t.uniqueName, t]));
const coderOf = (p: PipelineProto, pcollectionId: string) => describeId(p, p.components!.pcollections[pcollectionId]!.coderId);
function describeId(p: PipelineProto, coderId: string): string {
  const c = p.components!.coders[coderId]!;
  const name = c.spec!.urn.replace(/^(beam|riffle):coder:/, '').replace(/:v\d+$/, '');
  return c.componentCoderIds.length > 0 ? `${name}(${c.componentCoderIds.map((id) => describeId(p, id)).join(', ')})` : name;
}

test('a read, a map and a combine per key: impulse + splittable ParDo, ParDo, lifted combine_per_key', () => {
  const p = Pipeline.create();
  p.apply('Words', create(['a', 'b', 'a']))
    .map((w: string) => kv(w, 1), 'Pair')
    .apply('Count', combine.perKey((e: KV<string, number>) => e.key, combine.count()));
  const { pipeline } = translate(p);
  const byName = transformsByName(pipeline);
  assert.equal(byName.get('Words/Impulse')!.spec!.urn, TRANSFORM_URNS.impulse);
  const read = byName.get('Words/Read')!;
  assert.equal(read.spec!.urn, TRANSFORM_URNS.parDo);
  const readPayload = fromBinary(ParDoPayloadSchema, read.spec!.payload);
  assert.equal(readPayload.doFn!.urn, RIFFLE_URNS.sourceDoFn);
  assert.notEqual(readPayload.restrictionCoderId, '', 'the source ParDo is splittable');
  assert.ok(pipeline.requirements.includes(REQUIREMENT_URNS.splittable));
  const pair = byName.get('Pair')!;
  const pairFn = fromBinary(ParDoPayloadSchema, pair.spec!.payload).doFn!;
  assert.equal(pairFn.urn, RIFFLE_URNS.doFn);
  assert.deepEqual(decodeRifflePayload(pairFn.payload), { ...REF, step: 'Pair', role: 'map' });
  assert.equal(pair.environmentId, 'riffle');
  // Combine.perKey expands (keying map, then the combine); the combine is Beam's composite with the lifted parts.
  const cpk = [...byName.values()].find((t) => t.spec?.urn === TRANSFORM_URNS.combinePerKey)!;
  assert.deepEqual(
    cpk.subtransforms.map((id) => pipeline.components!.transforms[id]!.spec!.urn),
    [TRANSFORM_URNS.combinePrecombine, TRANSFORM_URNS.groupByKey, TRANSFORM_URNS.combineMergeAccumulators, TRANSFORM_URNS.combineExtractOutputs],
  );
  assert.equal(coderOf(pipeline, cpk.inputs.main!), 'kv(object, object)', 'the combine input is keyed (canonical object key)');
  const gbk = pipeline.components!.transforms[cpk.subtransforms[1]!]!;
  assert.equal(coderOf(pipeline, gbk.outputs.main!), 'kv(object, iterable(object))');
  assert.equal(gbk.environmentId, '', 'the runner executes the GroupByKey');
});

test('declared coders become standard coder URNs; a GroupByKey output is kv(K, iterable(V))', () => {
  const p = Pipeline.create();
  p.apply('Pairs', create([kv('a', 1), kv('b', 2)]))
    .withCoder(coders.kv(coders.string(), coders.varInt()))
    .apply('Group', groupByKey());
  const { pipeline } = translate(p);
  const g = transformsByName(pipeline).get('Group')!;
  assert.equal(g.spec!.urn, TRANSFORM_URNS.groupByKey);
  assert.equal(coderOf(pipeline, g.inputs.main!), 'kv(string_utf8, varint)');
  assert.equal(coderOf(pipeline, g.outputs.main!), 'kv(string_utf8, iterable(varint))');
  // A declared coder without a standard URN names where the harness finds it.
  const q = Pipeline.create();
  q.apply('Maps', create([new Map([['a', 1]])])).withCoder(coders.sortedMap(coders.string(), coders.varInt()));
  const t = translate(q);
  const coderId = Object.values(t.pipeline.components!.pcollections).find((c) => c.uniqueName === 'Maps/Read.main' || c.uniqueName.startsWith('Maps'))!.coderId;
  const spec = t.pipeline.components!.coders[coderId]!.spec!;
  assert.equal(spec.urn, RIFFLE_URNS.declaredCoder);
  assert.equal(decodeRifflePayload(spec.payload).role, 'coder');
  assert.equal(describeCoderSpec({ urn: CODER_URNS.kv, components: [{ urn: CODER_URNS.bytes }, { urn: RIFFLE_URNS.objectCoder }] }), 'kv(bytes, object)');
});

test('windowing strategies: fixed windows, triggers, lateness, accumulation, output time; sessions merge', () => {
  const p = Pipeline.create();
  const events = p.apply('Events', createTimestamped([{ value: kv('k', 1), timestamp: 1000 }]));
  const trig = triggers.afterWatermark({ early: triggers.afterProcessingTime('10s', { alignTo: '1m' }), late: triggers.afterCount(1) });
  events
    .apply('Fixed', windowInto(windowFns.fixed('1m'), { trigger: trig, allowedLateness: '5m', accumulation: 'accumulating', timestampCombiner: 'earliest', closingBehavior: 'fireAlways' }))
    .apply('Sum', combine.perKey((e: KV<string, number>) => e.key, combine.sum((e: KV<string, number>) => e.value)));
  events.apply('Sessions', windowInto(windowFns.sessions('10m'))).apply('GroupSessions', groupByKey());
  const { pipeline } = translate(p);
  const byName = transformsByName(pipeline);
  const fixed = byName.get('Fixed')!;
  assert.equal(fixed.spec!.urn, TRANSFORM_URNS.windowInto);
  const ws = pipeline.components!.windowingStrategies[pipeline.components!.pcollections[fixed.outputs.main!]!.windowingStrategyId]!;
  assert.equal(ws.windowFn!.urn, WINDOW_FN_URNS.fixed);
  assert.equal(Number(fromBinary(FixedWindowsPayloadSchema, ws.windowFn!.payload).size!.seconds), 60);
  assert.equal(ws.accumulationMode, AccumulationMode_Enum.ACCUMULATING);
  assert.equal(ws.allowedLateness, 300_000n);
  assert.equal(ws.outputTime, OutputTime_Enum.EARLIEST_IN_PANE);
  assert.equal(ws.closingBehavior, ClosingBehavior_Enum.EMIT_ALWAYS);
  assert.equal(ws.mergeStatus, MergeStatus_Enum.NON_MERGING);
  assert.equal(pipeline.components!.coders[ws.windowCoderId]!.spec!.urn, CODER_URNS.intervalWindow);
  assert.deepEqual(triggerFromProto(ws.trigger!), trig);
  // Early firings: Flink's batch mode would fire once, so the harness windows the grouping (translate-harness-grouping.ts).
  const sum = [...byName.values()].find((t) => t.subtransforms.some((id) => pipeline.components!.transforms[id]!.uniqueName.endsWith('/GroupAlsoByWindow')))!;
  assert.deepEqual(sum.subtransforms.map((id) => pipeline.components!.transforms[id]!.uniqueName), ['ReifyWindows', 'GroupByKeyGlobally', 'GroupAlsoByWindow'].map((x) => `${sum.uniqueName}/${x}`));
  assert.deepEqual(sum.subtransforms.map((id) => pipeline.components!.transforms[id]!.spec!.urn), [TRANSFORM_URNS.parDo, TRANSFORM_URNS.groupByKey, TRANSFORM_URNS.parDo]);
  // A watermark-only trigger other than the default is the runner's, not lifted: GroupByKey then CombineGroupedValues
  // (a ParDo running the Riffle combiner).
  const q = Pipeline.create();
  q.apply('Events', createTimestamped([{ value: kv('k', 1), timestamp: 1000 }]))
    .apply('Fixed', windowInto(windowFns.fixed('1m'), { trigger: triggers.afterWatermark() }))
    .apply('Sum', combine.perKey((e: KV<string, number>) => e.key, combine.sum((e: KV<string, number>) => e.value)));
  const unlifted = translate(q).pipeline;
  const cpk = [...transformsByName(unlifted).values()].find((t) => t.spec?.urn === TRANSFORM_URNS.combinePerKey)!;
  assert.deepEqual(cpk.subtransforms.map((id) => unlifted.components!.transforms[id]!.spec!.urn), [TRANSFORM_URNS.groupByKey, TRANSFORM_URNS.parDo]);
  const sessions = pipeline.components!.windowingStrategies[pipeline.components!.pcollections[byName.get('Sessions')!.outputs.main!]!.windowingStrategyId]!;
  assert.equal(sessions.windowFn!.urn, WINDOW_FN_URNS.sessions);
  assert.equal(sessions.mergeStatus, MergeStatus_Enum.NEEDS_MERGE);
});

test('every Riffle trigger survives a round trip through the Trigger proto', () => {
  const all: Trigger[] = [
    triggers.default(),
    triggers.afterWatermark(),
    triggers.afterWatermark({ early: triggers.afterCount(3), late: triggers.never() }),
    triggers.afterProcessingTime('1s'),
    triggers.afterProcessingTime(0, { alignTo: '1m', alignOffset: '5s' }),
    triggers.afterSynchronizedProcessingTime(),
    triggers.repeatedly(triggers.afterFirst(triggers.afterCount(2), triggers.afterProcessingTime('1m'))),
    triggers.afterEach(triggers.afterCount(1), triggers.afterAll(triggers.afterCount(2), triggers.afterWatermark())),
    triggers.orFinally(triggers.repeatedly(triggers.afterCount(1)), triggers.afterWatermark()),
  ];
  for (const t of all) assert.deepEqual(triggerFromProto(triggerToProto(t)), t);
  assert.equal(triggerToProto(triggers.afterFirst(triggers.afterCount(1))).trigger.case, 'afterAny');
});

test('a stateful ParDo declares its state and timers with coders; side inputs are inputs with access patterns', () => {
  const p = Pipeline.create();
  const lookup = p.apply('Lookup', create([kv('a', 'A')])).apply('AsMap', view.asMap<string, string>());
  const total = p.apply('Total', create([5])).apply('AsSingleton', view.asSingleton<number>());
  p.apply('Keyed', create([kv('a', 1)])).apply(
    'Track',
    parDo<KV<string, number>, string>({
      sideInputs: { lookup, total },
      state: { seen: state.value<boolean>(), bag: state.bag<number>(), sum: state.combining(combine.sum((x: number) => x)), names: state.map<string, number>() },
      timers: { flush: timer.eventTime(), tick: timer.processingTimeFamily() },
      process() {},
      onTimer: { flush() {}, tick() {} },
      onWindowExpiration() {},
    }),
  );
  const { pipeline } = translate(p);
  const track = transformsByName(pipeline).get('Track')!;
  const payload = fromBinary(ParDoPayloadSchema, track.spec!.payload);
  assert.deepEqual(Object.keys(payload.stateSpecs).sort(), ['bag', 'names', 'seen', 'sum']);
  assert.equal(payload.stateSpecs.seen!.spec.case, 'readModifyWriteSpec');
  assert.equal(payload.stateSpecs.sum!.spec.case, 'combiningSpec');
  assert.equal(payload.stateSpecs.names!.spec.case, 'mapSpec');
  assert.equal(payload.timerFamilySpecs.flush!.timeDomain, TimeDomain_Enum.EVENT_TIME);
  assert.equal(payload.timerFamilySpecs.tick!.timeDomain, TimeDomain_Enum.PROCESSING_TIME);
  assert.equal(describeId(pipeline, payload.timerFamilySpecs.flush!.timerFamilyCoderId), 'timer(object, global_window)');
  assert.notEqual(payload.onWindowExpirationTimerFamilySpec, '');
  assert.ok(pipeline.requirements.includes(REQUIREMENT_URNS.stateful));
  assert.equal(coderOf(pipeline, track.inputs.main!), 'kv(object, object)');
  assert.equal(payload.sideInputs.lookup!.accessPattern!.urn, SIDE_INPUT_URNS.multimap);
  assert.equal(payload.sideInputs.total!.accessPattern!.urn, SIDE_INPUT_URNS.iterable);
  assert.equal(coderOf(pipeline, track.inputs.lookup!), 'kv(object, object)', 'a map view reads a keyed PCollection');
  assert.deepEqual(decodeRifflePayload(payload.sideInputs.total!.viewFn!.payload).detail, { kind: 'singleton', hasDefault: false });
});

test('untranslatable steps are refused before submission, naming the step and why', () => {
  const p = Pipeline.create();
  p.apply('Script', testStream<number>().addElements({ value: 1, timestamp: 0 }).advanceWatermarkToInfinity()).map((x: number) => x, 'Id');
  assert.throws(
    () => translatePipeline(p.graph, { pipeline: REF, environment: ENV }),
    (e: unknown) => e instanceof UntranslatableError && e.step === 'Script' && /step 'Script' cannot run on the portable runner: a TestStream/.test(e.message),
  );
  const q = Pipeline.create();
  q.apply('Rows', create([1])).apply('Stage', parDo<number, number>({ singleWorker: 'stages rows that Commit reads', process() {} }));
  assert.throws(() => translatePipeline(q.graph, { pipeline: REF, environment: ENV }), (e: unknown) => e instanceof UntranslatableError && e.step === 'Stage' && /stages rows that Commit reads/.test(e.message));
  const r = Pipeline.create();
  r.apply('Rows', create([1])).apply('Custom', windowInto(windowFns.custom<number>({ name: 'odd', assign: () => [] })));
  assert.throws(() => translatePipeline(r.graph, { pipeline: REF, environment: ENV }), (e: unknown) => e instanceof UntranslatableError && e.step === 'Custom' && /windowCoder/.test(e.message));
});
