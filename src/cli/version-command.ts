/** `riffle version [--json]`: the version of Riffle and of Node.js (also `riffle -V`, `riffle --version`). */
import { action, defineCommand, type CliContext, type Command } from './command-kit.ts';
import { packageVersion, versionText } from './program.ts';

export function defineVersionCommand(ctx: CliContext): Command {
  return defineCommand('version', 'print the version of Riffle and of Node.js', [
    ['riffle version', 'riffle 0.1.0 (node v20.19.0)'],
    ['riffle version --json', '{"version": "0.1.0", "node": "v20.19.0"}'],
  ])
    .option('--json', 'print one JSON document')
    .action(action(ctx, async (cmd) => {
      const json = cmd.opts<{ json?: boolean }>().json === true;
      ctx.io.out(json ? JSON.stringify({ version: packageVersion(), node: process.version }, null, 2) : versionText());
      return 0;
    }));
}
