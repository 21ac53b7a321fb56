// The harness's control loop against real grpc-js Provision and Control services on loopback (the runner's side):
// it is provisioned, connects with its worker id, registers (or fetches) descriptors, answers monitoring requests, and refuses
// bundles with an error that names what it cannot run yet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { create } from '@bufbuild/protobuf';
import { FnHarness, parseHarnessArgs } from './fn-harness.ts';
import { grpcServiceDefinition } from './grpc-service.ts';
import { BeamFnControl, InstructionRequestSchema, ProcessBundleDescriptorSchema, type InstructionResponse } from './gen/fn_execution/v1/beam_fn_api_pb.ts';
import { GetProvisionInfoResponseSchema, ProvisionService } from './gen/fn_execution/v1/beam_provision_api_pb.ts';
import { TRANSFORM_URNS } from './urns.ts';

test('provision → control: register, monitoring infos, and bundles of stages it cannot run refused naming the transform', async () => {
  const server = new grpc.Server();
  const workerIds: string[] = [];
  const responses: InstructionResponse[] = [];
  let controlPort = 0;
  server.addService(grpcServiceDefinition(ProvisionService), {
    getProvisionInfo(call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) {
      workerIds.push(String(call.metadata.get('worker_id')[0]));
      cb(null, create(GetProvisionInfoResponseSchema, { info: { controlEndpoint: { url: `localhost:${controlPort}` }, retrievalToken: 't' } }));
    },
  });
  server.addService(grpcServiceDefinition(BeamFnControl), {
    getProcessBundleDescriptor(call: grpc.ServerUnaryCall<{ processBundleDescriptorId: string }, unknown>, cb: grpc.sendUnaryData<unknown>) {
      if (call.request.processBundleDescriptorId !== 'lazy') return cb({ code: grpc.status.NOT_FOUND, details: 'no such descriptor' });
      cb(null, create(ProcessBundleDescriptorSchema, { id: 'lazy', transforms: { g: { uniqueName: 'Group', spec: { urn: TRANSFORM_URNS.groupByKey } } } }));
    },
    control(call: grpc.ServerDuplexStream<InstructionResponse, unknown>) {
      workerIds.push(String(call.metadata.get('worker_id')[0]));
      const requests = [
        create(InstructionRequestSchema, {
          instructionId: '1',
          request: { case: 'register', value: { processBundleDescriptor: [{ id: 'stage-1', transforms: { t: { uniqueName: 'Double', spec: { urn: TRANSFORM_URNS.parDo } } } }] } },
        }),
        create(InstructionRequestSchema, { instructionId: '2', request: { case: 'harnessMonitoringInfos', value: {} } }),
        create(InstructionRequestSchema, { instructionId: '3', request: { case: 'processBundle', value: { processBundleDescriptorId: 'stage-1' } } }),
        create(InstructionRequestSchema, { instructionId: '4', request: { case: 'processBundle', value: { processBundleDescriptorId: 'nope' } } }),
        create(InstructionRequestSchema, { instructionId: '5', request: { case: 'processBundle', value: { processBundleDescriptorId: 'lazy' } } }),
        // No bundle '3' in flight any more: nothing running to report; a split is declined (reads split up front).
        create(InstructionRequestSchema, { instructionId: '6', request: { case: 'processBundleProgress', value: { instructionId: 'gone' } } }),
        create(InstructionRequestSchema, { instructionId: '7', request: { case: 'processBundleSplit', value: { instructionId: 'gone' } } }),
      ];
      call.on('data', (r: InstructionResponse) => {
        responses.push(r);
        if (responses.length === requests.length) call.end();
      });
      for (const r of requests) call.write(r);
    },
  });
  controlPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const log: string[] = [];
  try {
    const harness = await FnHarness.provision({ workerId: 'w7', provisionEndpoint: `127.0.0.1:${controlPort}`, log: (l) => log.push(l) });
    assert.equal(harness.options.controlEndpoint, `127.0.0.1:${controlPort}`);
    assert.equal(await harness.run(), 7);
    assert.deepEqual(workerIds, ['w7', 'w7']);
    // Instructions are answered concurrently: compare in instruction order.
    responses.sort((a, b) => a.instructionId.localeCompare(b.instructionId));
    assert.deepEqual(responses.map((r) => [r.instructionId, r.response.case ?? 'error']), [['1', 'register'], ['2', 'harnessMonitoringInfos'], ['3', 'error'], ['4', 'error'], ['5', 'error'], ['6', 'processBundleProgress'], ['7', 'processBundleSplit']]);
    assert.equal((responses[5]!.response.value as { monitoringInfos: unknown[] }).monitoringInfos.length, 0);
    assert.equal((responses[6]!.response.value as { primaryRoots: unknown[] }).primaryRoots.length, 0, 'no split happened');
    assert.match(responses[2]!.error, /cannot run transform 'Double' \(beam:transform:pardo:v1\): its DoFn \(none\) is not one of Riffle's/);
    assert.match(responses[3]!.error, /descriptor 'nope' could not be fetched: .*NOT_FOUND/);
    assert.match(responses[4]!.error, /cannot run transform 'Group' \(beam:transform:group_by_key:v1\): the harness does not run this transform yet/, 'an unregistered descriptor is fetched');
    assert.deepEqual([...harness.descriptors.keys()], ['stage-1', 'lazy']);
    assert.ok(log.some((l) => l.includes('registered 1 process bundle descriptor')));
  } finally {
    server.forceShutdown();
  }
});

test('the command line: --id and --provision_endpoint are required; other flags pass; junk is refused', () => {
  assert.deepEqual(parseHarnessArgs(['--id=1-1', '--provision_endpoint=localhost:5', '--logging_endpoint=localhost:6']), { workerId: '1-1', provisionEndpoint: 'localhost:5' });
  assert.throws(() => parseHarnessArgs(['--id=1']), /missing --provision_endpoint/);
  assert.throws(() => parseHarnessArgs(['run']), /unexpected argument 'run'/);
});
