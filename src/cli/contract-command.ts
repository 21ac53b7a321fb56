/**
 * `riffle contract test|diff`: data contracts (Data Contract Specification or the seed layout). Definitions only; the
 * actions (contract-action.ts) load when one runs.
 */
import { action, defineCommand, type CliContext, type Command } from './command-kit.ts';

const actions = () => import('./contract-action.ts');

/** `riffle contract`. */
export function defineContractCommand(ctx: CliContext): Command {
  const contract = defineCommand('contract', 'data contracts: test data against one, diff two versions', [
    ['riffle contract test orders.contract.yaml --data orders.csv', 'check a file'],
    ['riffle contract diff v1.yaml v2.yaml', 'compatible or breaking changes'],
  ]).usage('<test|diff> [options]');
  contract.addCommand(defineCommand('test', "check data (CSV, JSON Lines, Parquet, a glob, or a Delta table) against the contract's schema and quality rules; exit 1 if a check fails", [
    ['riffle contract test orders.contract.yaml --data orders.csv', 'every check, pass or FAIL'],
    ['riffle contract test c.yaml --data tables/orders --version 3 --json', 'a Delta table at version 3, as JSON'],
  ])
    .argument('<contract>', 'the contract file (.yaml)')
    .option('--data <path>', 'the data: a file, a glob or a Delta table directory (required)')
    .option('--version <n>', 'a Delta table version (default the latest)')
    .option('--model <name>', "the contract's model to check (default its only one)")
    .option('--columns <c:type,...>', 'how CSV columns are read (string keeps 007 and NA as written)')
    .option('--schema <file>', 'CSV column types from a JSON/YAML file (column → type)')
    .option('--invalid-utf8 <error|replace>', 'lines that are not UTF-8: refuse (default) or replace')
    .option('--json', 'print one JSON document')
    .action(action(ctx, async (c) => (await actions()).contractTestAction(c, ctx.io))));
  contract.addCommand(defineCommand('diff', 'classify each change between two contracts as compatible or breaking; exit 1 if any is breaking', [
    ['riffle contract diff v1.yaml v2.yaml --json', 'the changes as JSON'],
  ])
    .argument('<old>', 'the older contract')
    .argument('<new>', 'the newer contract')
    .option('--json', 'print one JSON document')
    .action(action(ctx, async (c) => (await actions()).contractDiffAction(c, ctx.io))));
  return contract;
}
