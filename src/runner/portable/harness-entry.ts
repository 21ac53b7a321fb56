/**
 * `riffle harness`: what Flink's environments start. Two forms:
 *
 * - `riffle harness --id=<worker id> --provision_endpoint=<host:port>` (Beam's PROCESS environment): one harness, until
 *   the runner closes its control stream;
 * - `riffle harness --pool [--host=127.0.0.1] [--port=50000]` (Beam's EXTERNAL environment): a worker pool that
 *   starts a harness for each StartWorker, until SIGINT/SIGTERM.
 *
 * Resolves with the exit status: 0 when the runner closed the control stream (or the pool was stopped), 1 with the
 * reason on stderr otherwise, 2 on a usage error.
 * @example
 *   process.exitCode = await harnessEntry(process.argv.slice(2));
 */
import { FnHarness, parseHarnessArgs } from './fn-harness.ts';
import { startWorkerPool } from './worker-pool.ts';

export async function harnessEntry(argv: readonly string[], err: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<number> {
  try {
    if (argv.includes('--pool')) return await pool(argv.filter((a) => a !== '--pool'), err);
    const args = parseHarnessArgs(argv);
    const harness = await FnHarness.provision(args);
    await harness.run();
    return 0;
  } catch (e) {
    const code = (e as { code?: string }).code;
    err(`riffle harness: ${e instanceof Error ? e.message : String(e)}`);
    return code === 'HARNESS_USAGE' ? 2 : 1;
  }
}

/** `--pool`: serves Beam's worker pool API until a signal stops it. */
async function pool(argv: readonly string[], err: (line: string) => void): Promise<number> {
  let host = '127.0.0.1';
  let port = 0;
  for (const arg of argv) {
    const m = /^--(host|port)=(.+)$/.exec(arg);
    if (m === null) throw Object.assign(new Error(`unexpected argument '${arg}' with --pool (expected --host=H, --port=N)`), { code: 'HARNESS_USAGE' });
    if (m[1] === 'host') host = m[2]!;
    else {
      port = Number(m[2]);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw Object.assign(new Error(`--port takes a port number 0-65535 (got '${m[2]}')`), { code: 'HARNESS_USAGE' });
    }
  }
  const p = await startWorkerPool({ host, port, log: err });
  err(`riffle harness: worker pool listening at ${p.endpoint} (Beam EXTERNAL environment); Ctrl-C stops it`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await p.stop();
  return 0;
}
