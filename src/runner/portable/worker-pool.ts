/**
 * Riffle's harness as a worker pool (Beam's EXTERNAL environment): a long-running process serves
 * `BeamFnExternalWorkerPool`, and the runner asks it to start a worker (a harness connected to the runner's control
 * endpoint) for each environment instance it needs, and to stop it afterwards. This is how task managers on other
 * machines reach Riffle's harness without starting processes themselves; workers run inside the pool's process.
 * @example
 *   const pool = await startWorkerPool({ port: 50000 });   // environment { kind: 'external', url: pool.endpoint }
 */
import * as grpc from '@grpc/grpc-js';
import { create } from '@bufbuild/protobuf';
import { BeamFnExternalWorkerPool, StartWorkerResponseSchema, StopWorkerResponseSchema, type StartWorkerRequest, type StopWorkerRequest } from './gen/fn_execution/v1/beam_fn_api_pb.ts';
import { FnHarness } from './fn-harness.ts';
import { grpcServiceDefinition } from './grpc-service.ts';

export interface WorkerPool {
  /** host:port the pool listens on. */
  readonly endpoint: string;
  /** The workers running now, by id. */
  readonly workers: ReadonlyMap<string, FnHarness>;
  stop(): Promise<void>;
}

export async function startWorkerPool(opts: { host?: string; port?: number; log?: (line: string) => void } = {}): Promise<WorkerPool> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`[riffle worker pool] ${line}\n`));
  const workers = new Map<string, FnHarness>();
  const running = new Set<Promise<unknown>>();
  const server = new grpc.Server();
  server.addService(grpcServiceDefinition(BeamFnExternalWorkerPool), {
    startWorker(call: grpc.ServerUnaryCall<StartWorkerRequest, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const { workerId, controlEndpoint } = call.request;
      const url = controlEndpoint?.url ?? '';
      if (workerId === '' || url === '') return cb(null, create(StartWorkerResponseSchema, { error: 'StartWorker needs a worker_id and a control_endpoint' }));
      if (workers.has(workerId)) return cb(null, create(StartWorkerResponseSchema, { error: `worker ${workerId} is already running` }));
      const harness = new FnHarness({ workerId, controlEndpoint: url.replace(/^localhost:/, '127.0.0.1:'), log: (l) => log(`${workerId}: ${l}`) });
      workers.set(workerId, harness);
      log(`starting worker ${workerId} (control ${url})`);
      const run = harness
        .run()
        .catch((e: unknown) => log(`worker ${workerId} ended: ${e instanceof Error ? e.message : String(e)}`))
        .finally(() => {
          workers.delete(workerId);
          running.delete(run);
        });
      running.add(run);
      cb(null, create(StartWorkerResponseSchema, {}));
    },
    stopWorker(call: grpc.ServerUnaryCall<StopWorkerRequest, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const harness = workers.get(call.request.workerId);
      if (harness === undefined) return cb(null, create(StopWorkerResponseSchema, { error: `no worker ${call.request.workerId}` }));
      log(`stopping worker ${call.request.workerId}`);
      harness.stop();
      cb(null, create(StopWorkerResponseSchema, {}));
    },
  });
  const host = opts.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(`${host}:${opts.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return {
    endpoint: `${host}:${port}`,
    workers,
    async stop() {
      for (const h of workers.values()) h.stop();
      await Promise.allSettled([...running]);
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}
