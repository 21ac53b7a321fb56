/**
 * The start of Riffle's SDK harness (`riffle harness`): the Fn API control loop. A runner (Flink's task manager)
 * starts the harness with a worker id and its provisioning endpoint; the harness asks the Provision API where the
 * control (and logging, artifact) services are, opens the control stream with its `worker_id`, and answers the
 * runner's instructions:
 *
 * - `register`: keeps the process bundle descriptors (the fused stages it will run); a bundle naming a descriptor
 *   that was not registered fetches it (`GetProcessBundleDescriptor`), as Beam's runners send them lazily;
 * - `harnessMonitoringInfos` / `monitoringInfos`: answered (empty: the figures are per bundle);
 * - `processBundle`: runs the bundle through the descriptor's fused stage (bundle-processor.ts) over the data plane
 *   (data-channel.ts) and answers with the bundle's figures as MonitoringInfos (bundle-metrics.ts) and its unbounded
 *   reads' residuals (`residual_roots`: unbounded-read-operator.ts); a transform the harness cannot run, or a failing
 *   element, is the response's error (the bundle's outputs are still ended, so the runner does not wait for them) and
 *   the runner fails the job;
 * - `processBundleProgress`: the figures so far of a bundle in flight and its reads' work completed (none for a bundle
 *   that is not in flight);
 * - `processBundleSplit`: declined (an empty response: no split happened) — reads are split up front instead;
 * - `finalizeBundle`: not implemented (sinks commit by write-then-rename, README.md) — answered with an error.
 *
 * Instructions are answered concurrently. Log lines go to the runner's logging service when it provisioned one.
 * Next (README.md): dynamic splits of a running read (processBundleSplit), bundle finalization.
 * @example
 *   const harness = await FnHarness.provision({ workerId: 'w1', provisionEndpoint: '127.0.0.1:4000' });
 *   await harness.run();  // until the runner closes the control stream
 */
import { create, fromBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { BeamFnControl, InstructionResponseSchema, RemoteGrpcPortSchema, type InstructionRequest, type InstructionResponse, type ProcessBundleDescriptor } from './gen/fn_execution/v1/beam_fn_api_pb.ts';
import { ProvisionService, type ProvisionInfo } from './gen/fn_execution/v1/beam_provision_api_pb.ts';
import { ParDoPayloadSchema } from './gen/pipeline/v1/beam_runner_api_pb.ts';
import { grpcClient } from './grpc-service.ts';
import { BundleProcessor } from './bundle-processor.ts';
import { DataChannel } from './data-channel.ts';
import { StateClient } from './state-client.ts';
import { harnessLogger, type HarnessLogger } from './harness-logging.ts';
import { RiffleError } from '../../model/index.ts';

export interface HarnessOptions {
  readonly workerId: string;
  /** Where the runner's control service listens (host:port). */
  readonly controlEndpoint: string;
  /** What the runner provisioned (options, endpoints, dependencies), when it came through the Provision API. */
  readonly provision?: ProvisionInfo;
  /** Progress and diagnostics (default: stderr). */
  readonly log?: (line: string) => void;
}

const endpoint = (url: string) => url.replace(/^localhost:/, '127.0.0.1:');

export class FnHarness {
  /** The process bundle descriptors registered so far, by id. */
  readonly descriptors = new Map<string, ProcessBundleDescriptor>();
  private readonly log: (line: string) => void;
  private readonly logger: HarnessLogger | undefined;
  private readonly channels = new Map<string, DataChannel>();
  private readonly states = new Map<string, StateClient>();
  /** The processor of each bundle in flight, by instruction id (what progress requests ask about). */
  private readonly active = new Map<string, BundleProcessor>();
  /** Idle processors per descriptor: a processor runs one bundle at a time (concurrent bundles get their own). */
  private readonly idle = new Map<string, BundleProcessor[]>();

  constructor(readonly options: HarnessOptions) {
    if (options.log === undefined) this.logger = harnessLogger(options.workerId, options.provision?.loggingEndpoint?.url);
    this.log = options.log ?? ((line) => this.logger!.write(line));
  }

  private channel = (url: string): DataChannel => {
    let c = this.channels.get(url);
    if (c === undefined) this.channels.set(url, (c = new DataChannel(endpoint(url), this.options.workerId)));
    return c;
  };

  private state = (url: string): StateClient => {
    let c = this.states.get(url);
    if (c === undefined) this.states.set(url, (c = new StateClient(endpoint(url), this.options.workerId)));
    return c;
  };

  /** Asks the runner's Provision API for the control endpoint (and the rest) and returns a harness ready to run. */
  static async provision(opts: { workerId: string; provisionEndpoint: string; log?: (line: string) => void }): Promise<FnHarness> {
    const client = grpcClient(ProvisionService, endpoint(opts.provisionEndpoint), { metadata: { worker_id: opts.workerId } });
    try {
      const { info } = await client.getProvisionInfo({}, { timeoutMs: 60_000 });
      const control = info?.controlEndpoint?.url;
      if (info === undefined || control === undefined || control === '') {
        throw new RiffleError('HARNESS_PROVISION_INVALID', `the runner's provision info at ${opts.provisionEndpoint} names no control endpoint`, { domain: 'external' });
      }
      return new FnHarness({ workerId: opts.workerId, controlEndpoint: endpoint(control), provision: info, ...(opts.log ? { log: opts.log } : {}) });
    } finally {
      client.close();
    }
  }

  /** Runs the control loop until the runner ends the stream; resolves with the number of instructions answered. */
  async run(): Promise<number> {
    const client = grpcClient(BeamFnControl, this.options.controlEndpoint, { metadata: { worker_id: this.options.workerId } });
    const stream = client.control();
    this.stopControl = () => stream.cancel();
    let answered = 0;
    this.log(`connected to the control service at ${this.options.controlEndpoint}`);
    // Beam runners send descriptors lazily: a bundle names a descriptor the harness fetches on first use.
    this.fetchDescriptor = async (id) => client.getProcessBundleDescriptor({ processBundleDescriptorId: id }, { timeoutMs: 60_000 });
    try {
      const pending = new Set<Promise<void>>();
      for await (const request of stream) {
        const p = this.answer(request).then((r) => {
          stream.write(r);
          answered++;
        });
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
      // The runner is done with this harness: bundles still waiting for input will get none.
      this.closeChannels();
      await Promise.allSettled(pending);
      await this.teardown();
    } finally {
      stream.end();
      client.close();
      this.closeChannels();
    }
    this.log(`the runner closed the control stream after ${answered} instruction(s)`);
    this.logger?.close();
    return answered;
  }

  /** Tears down every idle processor (DoFn teardown, sinks' finish). */
  private async teardown(): Promise<void> {
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    for (const p of all) await p.teardown(false, this.log);
  }

  private fetchDescriptor: ((id: string) => Promise<ProcessBundleDescriptor>) | undefined;
  private stopControl: (() => void) | undefined;

  private closeChannels(): void {
    for (const c of this.channels.values()) c.close();
    this.channels.clear();
    for (const c of this.states.values()) c.close();
    this.states.clear();
  }

  /** The data-plane transforms of a stage: [transform id, endpoint, is a sink]. */
  private dataPorts(d: ProcessBundleDescriptor): Array<[string, string, boolean]> {
    const ports: Array<[string, string, boolean]> = [];
    for (const [transformId, t] of Object.entries(d.transforms)) {
      if (t.spec?.urn !== 'beam:runner:sink:v1' && t.spec?.urn !== 'beam:runner:source:v1') continue;
      const url = fromBinary(RemoteGrpcPortSchema, t.spec.payload).apiServiceDescriptor?.url;
      if (url) ports.push([transformId, url, t.spec.urn === 'beam:runner:sink:v1']);
    }
    return ports;
  }

  private endOutputs(d: ProcessBundleDescriptor, instructionId: string): void {
    for (const [transformId, url, sink] of this.dataPorts(d)) if (sink) this.channel(url).end(instructionId, transformId);
    // A stateful ParDo's timer families are outputs too.
    const timerUrl = d.timerApiServiceDescriptor?.url;
    if (!timerUrl) return;
    for (const [transformId, t] of Object.entries(d.transforms)) {
      if (t.spec?.urn !== 'beam:transform:pardo:v1') continue;
      try {
        for (const family of Object.keys(fromBinary(ParDoPayloadSchema, t.spec.payload).timerFamilySpecs)) this.channel(timerUrl).endTimers(instructionId, transformId, family);
      } catch {
        // Not a ParDoPayload the harness can read: it declares no timers the harness knows of.
      }
    }
  }

  /** Ends the control loop (run() then resolves): what a worker pool's StopWorker does. */
  stop(): void {
    this.stopControl?.();
  }

  /** The response to one instruction (never rejects: a failure is the response's error). */
  async answer(request: InstructionRequest): Promise<InstructionResponse> {
    const id = request.instructionId;
    const r = request.request;
    const ok = (response: MessageInitShape<typeof InstructionResponseSchema>['response']) => create(InstructionResponseSchema, { instructionId: id, response });
    const fail = (error: string) => {
      this.log(`instruction ${id}: ${error}`);
      return create(InstructionResponseSchema, { instructionId: id, error });
    };
    switch (r.case) {
      case 'register':
        for (const d of r.value.processBundleDescriptor) this.descriptors.set(d.id, d);
        this.log(`registered ${r.value.processBundleDescriptor.length} process bundle descriptor(s): ${r.value.processBundleDescriptor.map((d) => d.id).join(', ')}`);
        return ok({ case: 'register', value: {} });
      case 'harnessMonitoringInfos':
        return ok({ case: 'harnessMonitoringInfos', value: {} });
      case 'monitoringInfos':
        return ok({ case: 'monitoringInfos', value: {} });
      case 'processBundle': {
        const descriptorId = r.value.processBundleDescriptorId;
        let d = this.descriptors.get(descriptorId);
        if (d === undefined && this.fetchDescriptor !== undefined) {
          try {
            d = await this.fetchDescriptor(descriptorId);
            this.descriptors.set(descriptorId, d);
            this.log(`fetched process bundle descriptor ${descriptorId} (${Object.keys(d.transforms).length} transforms)`);
          } catch (e) {
            return fail(`process bundle: descriptor '${descriptorId}' could not be fetched: ${(e as Error).message}`);
          }
        }
        if (d === undefined) return fail(`process bundle: descriptor '${descriptorId}' was never registered`);
        const descriptor = d;
        // The runner waits for the harness's data connection before it sends a bundle's input, also for a bundle the
        // harness then refuses: connect to every data endpoint of the stage first.
        this.dataPorts(descriptor).forEach(([, url]) => this.channel(url));
        if (descriptor.timerApiServiceDescriptor?.url) this.channel(descriptor.timerApiServiceDescriptor.url);
        let processor: BundleProcessor;
        try {
          processor = this.idle.get(descriptorId)?.pop() ?? (await BundleProcessor.build(descriptor, this.channel, this.state));
        } catch (e) {
          // A refused stage never reads its input: end its outputs so the runner does not wait for them.
          this.endOutputs(descriptor, id);
          return fail(`process bundle ${id} (descriptor '${descriptorId}'): ${(e as Error).message}`);
        }
        this.active.set(id, processor);
        try {
          await processor.process(id);
          // The bundle's figures are taken before the processor can start another bundle.
          const monitoringInfos = processor.monitoringInfos();
          const residualRoots = processor.takeResiduals();
          const idle = this.idle.get(descriptorId) ?? [];
          idle.push(processor);
          this.idle.set(descriptorId, idle);
          return ok({ case: 'processBundle', value: { monitoringInfos, residualRoots } });
        } catch (e) {
          await processor.teardown(true, this.log);
          return fail(`process bundle ${id} (descriptor '${descriptorId}'): ${(e as Error).message}`);
        } finally {
          this.active.delete(id);
        }
      }
      case 'processBundleProgress': {
        // A bundle in flight reports its figures so far; one that ended (or never started here) has nothing running.
        const processor = this.active.get(r.value.instructionId);
        return ok({ case: 'processBundleProgress', value: { monitoringInfos: processor?.progressInfos() ?? [] } });
      }
      case 'processBundleSplit':
        // Reads are split up front (sdf_split_and_size_restrictions); a bundle is not split while it runs: an empty
        // response tells the runner no split happened, and the bundle goes on whole.
        return ok({ case: 'processBundleSplit', value: {} });
      case 'finalizeBundle':
      case 'sampleData':
        return fail(`instruction '${r.case}' is not supported by Riffle's harness yet`);
      case undefined:
        return fail('an instruction with no request');
    }
  }
}

/**
 * The harness's command line, as Beam's PROCESS environments start it: `--id=<worker id>
 * --provision_endpoint=<host:port>` (other `--<name>=<value>` flags Beam may add, e.g. `--logging_endpoint`, are
 * accepted: the provision info carries them too). Anything else is a usage error naming it.
 */
export function parseHarnessArgs(argv: readonly string[]): { workerId: string; provisionEndpoint: string } {
  const values = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z_]+)=(.*)$/.exec(arg);
    if (m === null) throw new RiffleError('HARNESS_USAGE', `riffle harness: unexpected argument '${arg}' (expected --name=value flags)`, { hint: 'riffle harness --id=<worker id> --provision_endpoint=<host:port>' });
    values.set(m[1]!, m[2]!);
  }
  const workerId = values.get('id');
  const provisionEndpoint = values.get('provision_endpoint');
  if (!workerId || !provisionEndpoint) {
    throw new RiffleError('HARNESS_USAGE', `riffle harness: missing ${[!workerId ? '--id' : '', !provisionEndpoint ? '--provision_endpoint' : ''].filter(Boolean).join(' and ')}`, {
      hint: 'the runner starts the harness with --id=<worker id> --provision_endpoint=<host:port>',
    });
  }
  return { workerId, provisionEndpoint };
}
