/**
 * The harness process's entry point without the CLI (`node --import tsx src/runner/portable/harness-main.ts --id=…
 * --provision_endpoint=…`), kept for scripts that start it directly; `riffle harness` (src/cli/harness-command.ts)
 * runs the same code (harness-entry.ts) and is what the Flink runner's environments name.
 */
import { harnessEntry } from './harness-entry.ts';

process.exitCode = await harnessEntry(process.argv.slice(2));
