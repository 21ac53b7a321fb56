/**
 * The entry of every worker thread: loads the module the coordinator named, runs its `runWorker(ctx)`, and reports
 * `done` with the result or `error` with the failure (step and element excerpt included when the error carries them).
 * Then it lets go of its port so the thread ends by itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RiffleError } from '../../model/index.ts';
import { serializeError, type WorkerInit } from './protocol.ts';
import { WorkerContextImpl, type WorkerContext } from './worker-context.ts';

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('runner-worker.ts runs only as a worker thread (the coordinator starts it)');
  const init = workerData as WorkerInit;
  const ctx = new WorkerContextImpl(init, port);
  // A failure in work the module started but did not await yet (an exchange input's read loop that a DoFn threw in)
  // is the worker's failure: report it with its fields (step, element) rather than as a bare uncaught error.
  let reported = false;
  const report = (e: unknown): void => {
    if (reported) return;
    reported = true;
    ctx.post({ type: 'error', error: serializeError(e) });
  };
  process.on('unhandledRejection', (e) => {
    report(e);
    process.exit(1);
  });
  process.on('uncaughtException', (e) => {
    report(e);
    process.exit(1);
  });
  try {
    const mod = (await import(init.moduleUrl)) as { runWorker?: unknown };
    const run = mod.runWorker;
    if (typeof run !== 'function') {
      throw new RiffleError('WORKER_MODULE_INVALID', `the worker module ${init.moduleUrl} does not export a function runWorker(ctx)`, {
        domain: 'internal',
        hint: 'export `async function runWorker(ctx: WorkerContext)` from the module given to the worker pool',
      });
    }
    ctx.post({ type: 'ready' });
    const result = await (run as (ctx: WorkerContext) => Promise<unknown>)(ctx);
    await ctx.stop();
    if (!reported) ctx.post({ type: 'done', result, metrics: ctx.latestMetrics });
  } catch (e) {
    report(e);
    await ctx.stop().catch(() => {});
  } finally {
    port.removeAllListeners('message');
    port.unref();
  }
}

await main();
