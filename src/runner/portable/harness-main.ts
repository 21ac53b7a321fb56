/**
 * The harness process's entry point (what `riffle harness` will run; until the CLI has that command, runners start
 * `node --import tsx src/runner/portable/harness-main.ts --id=… --provision_endpoint=…`). Exit status 0 when the
 * runner closed the control stream, 1 (with the reason on stderr) otherwise.
 */
import { FnHarness, parseHarnessArgs } from './fn-harness.ts';

try {
  const args = parseHarnessArgs(process.argv.slice(2));
  const harness = await FnHarness.provision(args);
  await harness.run();
} catch (e) {
  process.stderr.write(`riffle harness: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
