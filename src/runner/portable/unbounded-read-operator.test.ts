// The unbounded read's splittable DoFn without a runner: one restriction per reader; a bundle reads up to its record
// cap and leaves a residual — the element encoded with the stage's wire coder, the reader's position and watermark in
// the restriction, the watermark as the residual's output watermark; the residual read again goes on from there; a
// reader whose watermark reaches +∞ leaves no residual. Together every record once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, toBinary } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { ByteReader, decodeIn, GLOBAL_WINDOWS, MAX_TIMESTAMP, MIN_TIMESTAMP, NO_FIRING, type KV, type SourceBatch, type UnboundedSource, type WindowedValue } from '../../model/index.ts';
import { ProcessBundleDescriptorSchema, RemoteGrpcPortSchema } from './gen/fn_execution/v1/beam_fn_api_pb.ts';
import { descriptorCoder } from './harness-coders.ts';
import { unboundedReadOperator, unboundedSplitOperator, type UnboundedRestriction } from './unbounded-read-operator.ts';
import { CODER_URNS, RIFFLE_URNS } from './urns.ts';

/** Numbers 0..n-1, number i at time 1000·i, `per` to a batch; the position is the next number; +∞ once all are read. */
function numbers(n: number, per: number): UnboundedSource<number, number> {
  return {
    kind: 'unbounded',
    describe: () => `numbers(${n})`,
    open: async (position) => {
      let next = position ?? 0;
      return {
        next: async (): Promise<SourceBatch<number> | null> => {
          if (next >= n) return null;
          const values = Array.from({ length: Math.min(per, n - next) }, (_, i) => next + i);
          next += values.length;
          return { values, timestamps: values.map((v) => v * 1000) } as SourceBatch<number>;
        },
        position: () => next,
        watermark: () => (next >= n ? MAX_TIMESTAMP : next * 1000),
        close: async () => undefined,
      };
    },
  };
}

const descriptor = create(ProcessBundleDescriptorSchema, {
  id: 'd',
  transforms: {
    in: { uniqueName: 'in', spec: { urn: 'beam:runner:source:v1', payload: toBinary(RemoteGrpcPortSchema, create(RemoteGrpcPortSchema, { coderId: 'wire' })) }, outputs: { out: 'pc' } },
    read: { uniqueName: 'Read', spec: { urn: 'beam:transform:sdf_process_sized_element_and_restrictions:v1' }, inputs: { impulse: 'pc' }, outputs: { main: 'out' } },
  },
  coders: {
    bytes: { spec: { urn: CODER_URNS.bytes } },
    restriction: { spec: { urn: 'beam:coder:length_prefix:v1' }, componentCoderIds: ['riffle'] },
    riffle: { spec: { urn: RIFFLE_URNS.restrictionCoder } },
    pair: { spec: { urn: 'beam:coder:kv:v1' }, componentCoderIds: ['bytes', 'restriction'] },
    double: { spec: { urn: CODER_URNS.double } },
    sized: { spec: { urn: 'beam:coder:kv:v1' }, componentCoderIds: ['pair', 'double'] },
    window: { spec: { urn: CODER_URNS.globalWindow } },
    wire: { spec: { urn: CODER_URNS.windowedValue }, componentCoderIds: ['sized', 'window'] },
  },
});

const wv = (value: unknown): WindowedValue<unknown> => ({ value, timestamp: MIN_TIMESTAMP, windows: GLOBAL_WINDOWS, pane: NO_FIRING });

test('an unbounded read: a residual per bundle with its position and watermark, resumed until the source ends', async () => {
  const source = numbers(25, 4) as UnboundedSource<unknown>;
  const split: WindowedValue<unknown>[] = [];
  await unboundedSplitOperator(source, (w) => void split.push(w)).process(wv({ key: new Uint8Array([1]), value: { whole: true } }));
  assert.deepEqual(split.map((w) => (w.value as KV<KV<unknown, unknown>, number>).key.value), [{ reader: 0, of: 1, watermark: MIN_TIMESTAMP }]);
  const read: Array<[number, number]> = [];
  const op = unboundedReadOperator({ step: 'Read', source, d: descriptor, transformId: 'read', t: descriptor.transforms['read']!, readRecords: 10 }, (w) => void read.push([w.value as number, w.timestamp]), undefined);
  const wire = descriptorCoder(descriptor.coders, 'wire');
  let element = split[0]!;
  const positions: unknown[] = [];
  for (let bundle = 0; bundle < 10; bundle++) {
    op.startBundle!();
    await op.process(element);
    const residuals = op.takeResiduals();
    if (residuals.length === 0) break;
    assert.equal(residuals.length, 1);
    const app = residuals[0]!.application!;
    assert.equal(app.transformId, 'read');
    assert.equal(app.inputId, 'impulse');
    element = decodeIn(wire, new ByteReader(app.element), 'nested') as WindowedValue<unknown>;
    const r = (element.value as KV<KV<unknown, UnboundedRestriction>, number>).key.value;
    positions.push(r.position);
    // The hold: the watermark the reader reached, which the restriction carries on.
    assert.equal(timestampMs(app.outputWatermarks['main']!), r.watermark);
    assert.equal(r.watermark, (r.position as number) * 1000);
  }
  // 10 records a bundle at most, checked between batches of 4: 12, 24, then the last one and +∞.
  assert.deepEqual(positions, [12, 24]);
  assert.deepEqual(read.map(([v]) => v), Array.from({ length: 25 }, (_, i) => i));
  assert.ok(read.every(([v, t]) => t === v * 1000));
});

test('a parallel source gets one restriction per reader', async () => {
  const source = { ...numbers(5, 1), parallel: true } as UnboundedSource<unknown>;
  const split: WindowedValue<unknown>[] = [];
  await unboundedSplitOperator(source, (w) => void split.push(w)).process(wv({ key: new Uint8Array([1]), value: { whole: true } }));
  assert.deepEqual(split.map((w) => ((w.value as KV<KV<unknown, UnboundedRestriction>, number>).key.value).reader), [0, 1, 2, 3]);
});
