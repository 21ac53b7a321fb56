// A bundle over the data plane, without Java: a loopback runner (grpc-js Control and Data services) registers a fused
// stage — data source → Riffle's `Paid` filter and `AddTax` flatMap (test/portable/fixtures/events-pipeline.ts) →
// data sink — sends two chunks of windowed elements and `is_last`, and reads the outputs back with the wire coder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { create, toBinary } from '@bufbuild/protobuf';
import { ByteReader, ByteWriter, decodeIn, encodeIn, GLOBAL_WINDOWS, NO_FIRING, type WindowedValue } from '../../model/index.ts';
import { FnHarness } from './fn-harness.ts';
import { grpcServiceDefinition } from './grpc-service.ts';
import { BeamFnControl, BeamFnData, ElementsSchema, InstructionRequestSchema, RemoteGrpcPortSchema, type Elements, type InstructionResponse } from './gen/fn_execution/v1/beam_fn_api_pb.ts';
import { ParDoPayloadSchema } from './gen/pipeline/v1/beam_runner_api_pb.ts';
import { beamSpecOf, harnessCoder } from './harness-coders.ts';
import { encodeRifflePayload } from './riffle-payload.ts';
import { readMonitoringInfos } from './monitoring-infos.ts';
import { RIFFLE_URNS, TRANSFORM_URNS } from './urns.ts';

const FIXTURE = join(import.meta.dirname, '../../../test/portable/fixtures/events-pipeline.ts');
const params = { input: 'unused.csv', output: 'unused.jsonl', sideInput: false };
const coder = (urn: string, ...componentCoderIds: string[]) => ({ spec: { urn }, componentCoderIds });
const CODERS = { obj: coder(RIFFLE_URNS.objectCoder), lp: coder('beam:coder:length_prefix:v1', 'obj'), gw: coder('beam:coder:global_window:v1'), wire: coder('beam:coder:windowed_value:v1', 'lp', 'gw') };

function descriptor(dataUrl: string, steps: ReadonlyArray<readonly [string, 'filter' | 'flatMap']>) {
  const port = toBinary(RemoteGrpcPortSchema, create(RemoteGrpcPortSchema, { apiServiceDescriptor: { url: dataUrl }, coderId: 'wire' }));
  const transforms: Record<string, unknown> = { in: { uniqueName: 'in', spec: { urn: 'beam:runner:source:v1', payload: port }, outputs: { o: 'pc0' } } };
  steps.forEach(([step, role], i) => {
    const doFn = { urn: RIFFLE_URNS.doFn, payload: encodeRifflePayload({ module: FIXTURE, params, step, role }) };
    transforms[step] = { uniqueName: step, spec: { urn: TRANSFORM_URNS.parDo, payload: toBinary(ParDoPayloadSchema, create(ParDoPayloadSchema, { doFn })) }, inputs: { main: `pc${i}` }, outputs: { main: `pc${i + 1}` } };
  });
  transforms['out'] = { uniqueName: 'out', spec: { urn: 'beam:runner:sink:v1', payload: port }, inputs: { i: `pc${steps.length}` } };
  return { id: 'stage', transforms, coders: CODERS, pcollections: {} };
}

test('a fused stage of Riffle steps runs a bundle over the data plane: inputs to is_last, outputs then is_last, response', async () => {
  const wire = harnessCoder(beamSpecOf(CODERS as never, 'wire'));
  const chunk = (values: unknown[]) => {
    const w = new ByteWriter();
    for (const value of values) encodeIn(wire, { value, timestamp: 1000, windows: GLOBAL_WINDOWS, pane: NO_FIRING }, w, 'nested');
    return w.toBytes();
  };
  const server = new grpc.Server();
  const received: Elements[] = [];
  let gotLast!: () => void;
  const outputEnded = new Promise<void>((r) => (gotLast = r));
  let dataPort = 0;
  const responses: InstructionResponse[] = [];
  server.addService(grpcServiceDefinition(BeamFnData), {
    data(call: grpc.ServerDuplexStream<Elements, Elements>) {
      call.on('data', (e: Elements) => {
        received.push(e);
        if (e.data.some((d) => d.isLast && d.instructionId === 'b1')) gotLast();
      });
      call.on('error', () => undefined);
      // The inputs may arrive before the bundle's request: in two chunks, then is_last.
      call.write(create(ElementsSchema, { data: [{ instructionId: 'b1', transformId: 'in', data: chunk([{ id: 'a', type: 'purchase', cents: 100 }, { id: 'b', type: 'view', cents: 0 }]) }] }));
      call.write(create(ElementsSchema, { data: [{ instructionId: 'b1', transformId: 'in', data: chunk([{ id: 'c', type: 'view', cents: 7 }]) }, { instructionId: 'b1', transformId: 'in', isLast: true }] }));
    },
  });
  server.addService(grpcServiceDefinition(BeamFnControl), {
    control(call: grpc.ServerDuplexStream<InstructionResponse, unknown>) {
      call.on('data', (r: InstructionResponse) => {
        responses.push(r);
        if (r.instructionId === 'b1') call.end();
      });
      call.write(create(InstructionRequestSchema, { instructionId: 'r', request: { case: 'register', value: { processBundleDescriptor: [descriptor(`localhost:${dataPort}`, [['Paid', 'filter'], ['AddTax', 'flatMap']]) as never] } } }));
      call.write(create(InstructionRequestSchema, { instructionId: 'b1', request: { case: 'processBundle', value: { processBundleDescriptorId: 'stage' } } }));
    },
  });
  dataPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  try {
    const harness = new FnHarness({ workerId: 'w1', controlEndpoint: `127.0.0.1:${dataPort}`, log: () => undefined });
    await harness.run();
    await outputEnded;
    const b1 = responses.find((r) => r.instructionId === 'b1')!;
    assert.equal(b1.error, '');
    assert.equal(b1.response.case, 'processBundle');
    const data = received.flatMap((e) => e.data).filter((d) => d.instructionId === 'b1' && d.transformId === 'out');
    assert.equal(data.at(-1)?.isLast, true, 'the output ends with is_last');
    const out: WindowedValue<{ id: string; cents: number }>[] = [];
    for (const d of data) {
      const r = new ByteReader(d.data);
      while (r.remaining > 0) out.push(decodeIn(wire, r, 'nested') as WindowedValue<{ id: string; cents: number }>);
    }
    // Paid drops b (0 cents); AddTax adds a tax line to the purchase; timestamps and windows are kept.
    assert.deepEqual(out.map((w) => [w.value.id, w.value.cents, w.timestamp]), [['a', 100, 1000], ['a-tax', 20, 1000], ['c', 7, 1000]]);
    // The bundle's figures: elements per PCollection (the data plane's input counted as pc0).
    const counts = readMonitoringInfos(b1.response.case === 'processBundle' ? b1.response.value.monitoringInfos : []).elements;
    assert.deepEqual(Object.fromEntries(counts), { pc0: 3, pc1: 2, pc2: 3 });
  } finally {
    server.forceShutdown();
  }
});
