/**
 * Artifact staging, client side: after `prepare`, the job server asks the client for the artifacts its environments
 * depend on, over a reverse stream (Beam's ArtifactStagingService.ReverseArtifactRetrievalService): the client opens
 * the stream with its staging token, then answers each request — resolve (the artifacts stay as they are: files) and
 * get (a file's bytes, in chunks, the last one flagged) — until the server ends the stream.
 *
 * Only files the pipeline declared are served: a request for any other path is answered with an error and fails the
 * staging, so a job server cannot read arbitrary files through it.
 */
import { open } from 'node:fs/promises';
import { fromBinary } from '@bufbuild/protobuf';
import { ArtifactStagingService } from './gen/job_management/v1/beam_artifact_api_pb.ts';
import { ArtifactFilePayloadSchema, type ArtifactInformation } from './gen/pipeline/v1/beam_runner_api_pb.ts';
import { grpcClient } from './grpc-service.ts';
import { ARTIFACT_URNS } from './urns.ts';
import { RiffleError } from '../../model/index.ts';

const CHUNK = 1 << 20;

export interface StagingReport {
  readonly files: number;
  readonly bytes: number;
}

/** Serves the declared files to the job server's artifact staging service at `endpoint` for the session `token`. */
export async function stageArtifacts(endpoint: string, token: string, declared: ReadonlySet<string>): Promise<StagingReport> {
  const client = grpcClient(ArtifactStagingService, endpoint);
  const stream = client.reverseArtifactRetrievalService();
  let files = 0;
  let bytes = 0;
  try {
    stream.write({ stagingToken: token });
    for await (const req of stream) {
      const r = req.request;
      if (r.case === 'resolveArtifact') {
        stream.write({ stagingToken: token, isLast: true, response: { case: 'resolveArtifactResponse', value: { replacements: r.value.artifacts } } });
      } else if (r.case === 'getArtifact') {
        const path = filePath(r.value.artifact);
        if (!declared.has(path)) {
          throw new RiffleError('ARTIFACT_NOT_DECLARED', `the job server asked for ${path}, which the pipeline did not declare as an artifact`, { domain: 'external' });
        }
        const f = await open(path, 'r');
        try {
          const buf = Buffer.alloc(CHUNK);
          let sent = false;
          for (;;) {
            const { bytesRead } = await f.read(buf, 0, CHUNK, null);
            if (bytesRead === 0) break;
            bytes += bytesRead;
            stream.write({ stagingToken: token, response: { case: 'getArtifactResponse', value: { data: Uint8Array.from(buf.subarray(0, bytesRead)) } } });
            sent = true;
          }
          if (!sent) stream.write({ stagingToken: token, response: { case: 'getArtifactResponse', value: { data: new Uint8Array() } } });
          stream.write({ stagingToken: token, isLast: true, response: { case: 'getArtifactResponse', value: { data: new Uint8Array() } } });
          files++;
        } finally {
          await f.close();
        }
      }
    }
    return { files, bytes };
  } catch (e) {
    stream.cancel();
    throw e;
  } finally {
    client.close();
  }
}

function filePath(a: ArtifactInformation | undefined): string {
  if (a === undefined || a.typeUrn !== ARTIFACT_URNS.file) throw new RiffleError('ARTIFACT_TYPE_UNKNOWN', `the job server asked for an artifact of type '${a?.typeUrn ?? '(none)'}'; Riffle stages files only`, { domain: 'external' });
  return fromBinary(ArtifactFilePayloadSchema, a.typePayload).path;
}
