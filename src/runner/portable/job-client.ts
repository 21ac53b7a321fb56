/**
 * A client of Beam's Job API (a job server such as Flink's): prepare a job, stage its artifacts, run it, follow its
 * state and messages, cancel it.
 * @example
 *   const jobs = new JobClient(server.jobEndpoint);
 *   const job = await jobs.submit(translation.pipeline, { jobName: 'wordcount', files: ['/p/pipeline.ts'] });
 *   for await (const s of job.states()) console.log(jobStateName(s));
 */
import type { JsonObject } from '@bufbuild/protobuf';
import { JobService, JobState_Enum, type JobMessage } from './gen/job_management/v1/beam_job_api_pb.ts';
import type { Pipeline } from './gen/pipeline/v1/beam_runner_api_pb.ts';
import type { MonitoringInfo } from './gen/pipeline/v1/metrics_pb.ts';
import { stageArtifacts, type StagingReport } from './artifact-staging.ts';
import { grpcClient } from './grpc-service.ts';
import { pipelineProblems } from './validate-pipeline.ts';
import { RiffleError } from '../../model/index.ts';

const jobApi = (endpoint: string) => grpcClient(JobService, endpoint);
type JobApi = ReturnType<typeof jobApi>;

/** The states a job can end in. */
export const TERMINAL_STATES: ReadonlySet<JobState_Enum> = new Set([JobState_Enum.DONE, JobState_Enum.FAILED, JobState_Enum.CANCELLED, JobState_Enum.UPDATED, JobState_Enum.DRAINED]);

/** `RUNNING`, `DONE`, ... */
export function jobStateName(s: JobState_Enum): string {
  return JobState_Enum[s] ?? String(s);
}

export interface SubmitOptions {
  readonly jobName: string;
  /** Beam pipeline options by their short name (`parallelism`, ...), sent as `beam:option:<name>:v1`. */
  readonly options?: Readonly<Record<string, string | number | boolean>>;
  /** Absolute paths of the files the pipeline's environments declared (only these are served to the job server). */
  readonly files?: readonly string[];
}

/** One message of a job, or one of its state changes, as the message stream reports them. */
export type JobEvent = { readonly kind: 'state'; readonly state: JobState_Enum } | { readonly kind: 'message'; readonly message: JobMessage };

export class JobClient {
  private readonly client: JobApi;

  constructor(readonly endpoint: string) {
    this.client = jobApi(endpoint);
  }

  /** Prepares, stages and runs a pipeline; resolves once the job server accepted it (not once it finished). */
  async submit(pipeline: Pipeline, opts: SubmitOptions): Promise<SubmittedJob> {
    const problems = pipelineProblems(pipeline);
    if (problems.length > 0) throw new RiffleError('PIPELINE_PROTO_INVALID', `the translated pipeline is malformed:\n  ${problems.slice(0, 10).join('\n  ')}`, { domain: 'internal' });
    const pipelineOptions: JsonObject = { 'beam:option:job_name:v1': opts.jobName };
    for (const [k, v] of Object.entries(opts.options ?? {})) pipelineOptions[`beam:option:${k}:v1`] = v;
    const prepared = await this.client.prepare({ pipeline, pipelineOptions, jobName: opts.jobName });
    const endpoint = prepared.artifactStagingEndpoint?.url;
    let staging: StagingReport = { files: 0, bytes: 0 };
    if (endpoint !== undefined && endpoint !== '') staging = await stageArtifacts(endpoint.replace(/^localhost:/, '127.0.0.1:'), prepared.stagingSessionToken, new Set(opts.files ?? []));
    const { jobId } = await this.client.run({ preparationId: prepared.preparationId });
    return new SubmittedJob(this.client, jobId, staging);
  }

  close(): void {
    this.client.close();
  }
}

/** A job the job server runs. */
export class SubmittedJob {
  constructor(
    private readonly client: JobApi,
    readonly jobId: string,
    readonly staging: StagingReport,
  ) {}

  async state(): Promise<JobState_Enum> {
    return (await this.client.getState({ jobId: this.jobId })).state;
  }

  /** The job's states as they change (the stream ends when the job does). */
  async *states(): AsyncIterable<JobState_Enum> {
    for await (const e of this.client.getStateStream({ jobId: this.jobId })) yield e.state;
  }

  /** The job's messages (logs the runner reports) and state changes. */
  async *events(): AsyncIterable<JobEvent> {
    for await (const r of this.client.getMessageStream({ jobId: this.jobId })) {
      if (r.response.case === 'stateResponse') yield { kind: 'state', state: r.response.value.state };
      else if (r.response.case === 'messageResponse') yield { kind: 'message', message: r.response.value };
    }
  }

  /** Follows the state stream until a terminal state; resolves with it. */
  async waitUntilFinish(onState?: (s: JobState_Enum) => void): Promise<JobState_Enum> {
    let last = JobState_Enum.UNSPECIFIED;
    for await (const s of this.states()) {
      last = s;
      onState?.(s);
      if (TERMINAL_STATES.has(s)) return s;
    }
    return last === JobState_Enum.UNSPECIFIED ? this.state() : last;
  }

  /** The job's metrics as MonitoringInfos (GetJobMetrics): the committed ones, else the attempted ones. */
  async metrics(timeoutMs = 30_000): Promise<MonitoringInfo[]> {
    const r = await this.client.getJobMetrics({ jobId: this.jobId }, { timeoutMs });
    const m = r.metrics;
    if (m === undefined) return [];
    return m.committed.length > 0 ? m.committed : m.attempted;
  }

  async cancel(): Promise<JobState_Enum> {
    return (await this.client.cancel({ jobId: this.jobId })).state;
  }
}
