/**
 * The environment that runs Riffle's own functions (its DoFns, combiners, window functions): Riffle's SDK harness,
 * `riffle harness`, started by the runner as a process on each task manager's machine, or reached at an address
 * where it already listens as a worker pool (Beam's EXTERNAL environment). The environment also lists what the
 * harness understands (its capabilities: coder URNs, Riffle's URNs) and the files to stage for it (the pipeline module
 * and its dependencies), each with the name under which the harness finds it.
 * @example
 *   environmentProto({ kind: 'process', command: '/usr/local/bin/riffle harness' }, [{ path: '/p/pipeline.ts', stagedName: 'pipeline.ts' }])
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { BEAM_CODER_URNS } from '../../model/index.ts';
import { ArtifactFilePayloadSchema, ArtifactStagingToRolePayloadSchema, EnvironmentSchema, ExternalPayloadSchema, ProcessPayloadSchema, type Environment } from './gen/pipeline/v1/beam_runner_api_pb.ts';
import { ARTIFACT_URNS, ENVIRONMENT_URNS, RIFFLE_URNS } from './urns.ts';

/** How the runner starts or reaches the harness. */
export type HarnessEnvironment =
  | { readonly kind: 'process'; readonly command: string; readonly env?: Readonly<Record<string, string>> }
  | { readonly kind: 'external'; readonly url: string; readonly params?: Readonly<Record<string, string>> };

/** A file the harness needs (the pipeline module, its imports): staged under `stagedName`. */
export interface StagedFile {
  readonly path: string;
  readonly stagedName: string;
}

/** The URNs Riffle's harness implements: Beam's standard coders it reads and writes, and Riffle's own functions. */
export const HARNESS_CAPABILITIES: readonly string[] = [...BEAM_CODER_URNS, ...Object.values(RIFFLE_URNS)].sort();

export function environmentProto(env: HarnessEnvironment, files: readonly StagedFile[]): Environment {
  const payload =
    env.kind === 'process'
      ? toBinary(ProcessPayloadSchema, create(ProcessPayloadSchema, { command: env.command, env: { ...(env.env ?? {}) } }))
      : toBinary(ExternalPayloadSchema, create(ExternalPayloadSchema, { endpoint: { url: env.url }, params: { ...(env.params ?? {}) } }));
  return create(EnvironmentSchema, {
    urn: env.kind === 'process' ? ENVIRONMENT_URNS.process : ENVIRONMENT_URNS.external,
    payload,
    capabilities: [...HARNESS_CAPABILITIES],
    dependencies: files.map((f) => ({
      typeUrn: ARTIFACT_URNS.file,
      typePayload: toBinary(ArtifactFilePayloadSchema, create(ArtifactFilePayloadSchema, { path: f.path })),
      roleUrn: ARTIFACT_URNS.stagingTo,
      rolePayload: toBinary(ArtifactStagingToRolePayloadSchema, create(ArtifactStagingToRolePayloadSchema, { stagedName: f.stagedName })),
    })),
  });
}
