// The worker pool (Beam's EXTERNAL environment): StartWorker runs a harness against the runner's control service
// (a real grpc-js server here), StopWorker ends it; bad requests get an error in the response.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { create } from '@bufbuild/protobuf';
import { BeamFnControl, BeamFnExternalWorkerPool, InstructionRequestSchema, type InstructionResponse } from './gen/fn_execution/v1/beam_fn_api_pb.ts';
import { grpcClient, grpcServiceDefinition } from './grpc-service.ts';
import { startWorkerPool } from './worker-pool.ts';

test('StartWorker connects a harness to the control service; StopWorker ends it', async () => {
  const control = new grpc.Server();
  const connected: string[] = [];
  let answered!: (r: InstructionResponse) => void;
  const firstAnswer = new Promise<InstructionResponse>((resolve) => (answered = resolve));
  control.addService(grpcServiceDefinition(BeamFnControl), {
    control(call: grpc.ServerDuplexStream<InstructionResponse, unknown>) {
      connected.push(String(call.metadata.get('worker_id')[0]));
      call.on('data', (r: InstructionResponse) => answered(r));
      call.on('error', () => undefined);
      call.write(create(InstructionRequestSchema, { instructionId: 'i1', request: { case: 'harnessMonitoringInfos', value: {} } }));
    },
  });
  const controlPort = await new Promise<number>((resolve, reject) => control.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const log: string[] = [];
  const pool = await startWorkerPool({ log: (l) => log.push(l) });
  const client = grpcClient(BeamFnExternalWorkerPool, pool.endpoint);
  try {
    assert.equal((await client.startWorker({ workerId: 'w1', controlEndpoint: { url: `localhost:${controlPort}` } })).error, '');
    assert.equal((await firstAnswer).instructionId, 'i1');
    assert.deepEqual(connected, ['w1']);
    assert.ok(pool.workers.has('w1'));
    assert.match((await client.startWorker({ workerId: 'w1', controlEndpoint: { url: `localhost:${controlPort}` } })).error, /already running/);
    assert.match((await client.startWorker({ workerId: 'w2' })).error, /needs a worker_id and a control_endpoint/);
    assert.equal((await client.stopWorker({ workerId: 'w1' })).error, '');
    for (let i = 0; i < 100 && pool.workers.has('w1'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(pool.workers.has('w1'), false, 'the stopped worker is gone');
    assert.match((await client.stopWorker({ workerId: 'w1' })).error, /no worker w1/);
  } finally {
    client.close();
    await pool.stop();
    control.forceShutdown();
  }
});
