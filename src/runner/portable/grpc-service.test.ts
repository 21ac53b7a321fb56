// The grpc-js adapter of protobuf-es service descriptors: a real grpc-js server on loopback serves Beam's Job API
// and artifact staging services through `grpcServiceDefinition`, and the typed client calls each method kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { create, type MessageShape } from '@bufbuild/protobuf';
import { grpcClient, grpcServiceDefinition, GrpcCallError } from './grpc-service.ts';
import {
  JobService,
  JobStateEventSchema,
  JobState_Enum,
  PrepareJobResponseSchema,
  type GetJobStateRequest,
  type PrepareJobRequest,
} from './gen/job_management/v1/beam_job_api_pb.ts';
import { ArtifactRequestWrapperSchema, ArtifactStagingService, LegacyArtifactStagingService, PutArtifactResponseSchema, type ArtifactResponseWrapper, type PutArtifactRequest } from './gen/job_management/v1/beam_artifact_api_pb.ts';

async function serve(add: (server: grpc.Server) => void): Promise<{ address: string; stop: () => void }> {
  const server = new grpc.Server();
  add(server);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

test('unary and server-streaming calls of the Job API round-trip protobuf-es messages', async () => {
  const seen: string[] = [];
  const { address, stop } = await serve((s) =>
    s.addService(grpcServiceDefinition(JobService), {
      prepare(call: grpc.ServerUnaryCall<PrepareJobRequest, unknown>, cb: grpc.sendUnaryData<MessageShape<typeof PrepareJobResponseSchema>>) {
        seen.push(call.request.jobName);
        cb(null, create(PrepareJobResponseSchema, { preparationId: `prep-${call.request.jobName}`, stagingSessionToken: 'tok' }));
      },
      getStateStream(call: grpc.ServerWritableStream<GetJobStateRequest, unknown>) {
        for (const state of [JobState_Enum.STARTING, JobState_Enum.RUNNING, JobState_Enum.DONE]) call.write(create(JobStateEventSchema, { state }));
        call.end();
      },
    }),
  );
  const jobs = grpcClient(JobService, address);
  try {
    const prepared = await jobs.prepare({ jobName: 'demo' });
    assert.equal(prepared.preparationId, 'prep-demo');
    assert.equal(prepared.stagingSessionToken, 'tok');
    assert.deepEqual(seen, ['demo']);
    const states: JobState_Enum[] = [];
    for await (const e of jobs.getStateStream({ jobId: 'j' })) states.push(e.state);
    assert.deepEqual(states, [JobState_Enum.STARTING, JobState_Enum.RUNNING, JobState_Enum.DONE]);
    // A method the server does not implement fails with the method's path in the message.
    await assert.rejects(jobs.cancel({ jobId: 'j' }), (e: unknown) => e instanceof GrpcCallError && e.message.includes('/org.apache.beam.model.job_management.v1.JobService/Cancel') && e.code === grpc.status.UNIMPLEMENTED);
  } finally {
    jobs.close();
    stop();
  }
});

test('bidi and client-streaming calls: the server asks for artifacts, the client answers each', async () => {
  const { address, stop } = await serve((s) => {
    s.addService(grpcServiceDefinition(ArtifactStagingService), {
      reverseArtifactRetrievalService(call: grpc.ServerDuplexStream<ArtifactResponseWrapper, unknown>) {
        const answers: string[] = [];
        call.write(create(ArtifactRequestWrapperSchema, { request: { case: 'getArtifact', value: { artifact: { typeUrn: 'beam:artifact:type:file:v1' } } } }));
        call.on('data', (r: ArtifactResponseWrapper) => {
          if (r.response.case === 'getArtifactResponse') answers.push(Buffer.from(r.response.value.data).toString());
          if (r.isLast) {
            assert.deepEqual(answers, ['hello']);
            call.end();
          }
        });
      },
    });
    s.addService(grpcServiceDefinition(LegacyArtifactStagingService), {
      putArtifact(call: grpc.ServerReadableStream<PutArtifactRequest, unknown>, cb: grpc.sendUnaryData<unknown>) {
        let bytes = 0;
        call.on('data', (r: PutArtifactRequest) => (bytes += r.content.case === 'data' ? r.content.value.data.length : 0));
        call.on('end', () => (bytes === 3 ? cb(null, create(PutArtifactResponseSchema, {})) : cb({ code: grpc.status.INVALID_ARGUMENT, details: `got ${bytes} bytes` })));
      },
    });
  });
  const staging = grpcClient(ArtifactStagingService, address);
  const legacy = grpcClient(LegacyArtifactStagingService, address);
  try {
    const stream = staging.reverseArtifactRetrievalService();
    stream.write({ stagingToken: 't' });
    const requests: string[] = [];
    for await (const req of stream) {
      requests.push(req.request.case ?? '');
      stream.write({ response: { case: 'getArtifactResponse', value: { data: Buffer.from('hello') } }, isLast: true });
    }
    assert.deepEqual(requests, ['getArtifact']);
    const put = legacy.putArtifact();
    put.write({ content: { case: 'data', value: { data: new Uint8Array(3) } } });
    const res = await put.end();
    assert.equal(res.$typeName, 'org.apache.beam.model.job_management.v1.PutArtifactResponse');
  } finally {
    staging.close();
    legacy.close();
    stop();
  }
});
