/**
 * `riffle store check|repair`: the definitions (the action, store-action.ts, loads when one runs).
 */
import type { CliIO } from './cli-io.ts';
import { action, defineCommand, type CliContext, type Command } from './command-kit.ts';

/** `riffle store`. */
export function defineStoreCommand(ctx: CliContext): Command {
  const run = action(ctx, async (c) => (await import('./store-action.ts')).storeAction(c, ctx.io));
  const store = defineCommand('store', "check or repair the scheduler's metadata store (the embedded journal and snapshot)", [
    ['riffle store check', 'whether .riffle/orchestrator opens, and where it is damaged'],
    ['riffle store repair --store /var/riffle/store', 'keep the valid records, move the rest aside'],
  ])
    .usage('<check|repair> [options]')
    .option('--store <dir>', 'the store directory (default: the project file, $RIFFLE_STORE, else .riffle/orchestrator)')
    .option('--json', 'machine-readable report');
  store.addCommand(defineCommand('check', 'read the store without changing it: whether it opens, where it is damaged (file, line, byte offset, reason) and what a repair would lose; exit 1 if it needs a repair', [
    ['riffle store check --json', 'the report as JSON'],
  ]).action(run));
  store.addCommand(defineCommand('repair', 'with no scheduler running: keep the valid records before a corrupt one and move the rest to journal.jsonl.corrupt-<time>; nothing is deleted', [
    ['riffle store repair --discard-snapshot', 'accept losing a corrupt snapshot the journal cannot replace'],
  ])
    .option('--discard-snapshot', 'accept losing a corrupt snapshot the journal cannot replace (otherwise restore it from a backup)')
    .action(run));
  return store;
}

/** `riffle store ...` in-process: runs `argv` (the words after `store`) and returns the exit code; errors are thrown. */
export async function storeCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { execute } = await import('./program.ts');
  return execute(['store', ...argv], io, [defineStoreCommand]);
}
