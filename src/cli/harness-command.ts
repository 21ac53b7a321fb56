/**
 * `riffle harness`: Riffle's SDK harness for Beam's Fn API, as Flink starts it (the portable runner's PROCESS
 * environment runs `riffle harness --id=… --provision_endpoint=…`), or as a worker pool (`--pool`, Beam's EXTERNAL
 * environment). Definitions only: the action loads src/runner/portable/harness-entry.ts.
 */
import { action, defineCommand, type CliContext, type Command } from './command-kit.ts';

export function defineHarnessCommand(ctx: CliContext): Command {
  return defineCommand('harness', "run Riffle's SDK harness for Flink (started by the runner, not by hand)", [
    ['riffle harness --id=1 --provision_endpoint=localhost:4000', 'what Flink runs for a PROCESS environment'],
    ['riffle harness --pool --port=50000', 'a worker pool for an EXTERNAL environment'],
  ])
    .usage('--id=<worker id> --provision_endpoint=<host:port> | --pool [--host=H] [--port=N]')
    .helpOption('-h, --help', 'show this help')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(action(ctx, async (c) => {
      const { harnessEntry } = await import('../runner/portable/index.ts');
      return harnessEntry(c.args, (line) => ctx.io.err(line));
    }));
}
