/**
 * `riffle quality profile|checkpoint run|results`: data quality. Definitions only; the actions (quality-action.ts)
 * load when one runs.
 */
import { action, defineCommand, type CliContext, type Command } from './command-kit.ts';

const actions = () => import('./quality-action.ts');

/** `riffle quality`. */
export function defineQualityCommand(ctx: CliContext): Command {
  const qualityCmd = defineCommand('quality', 'data quality: profile data, run checkpoints, list results', [
    ['riffle quality profile orders.csv --out orders.suite.json', 'propose a suite from the data'],
    ['riffle quality checkpoint run orders.checkpoint.yaml', 'validate and run the actions'],
    ['riffle quality results orders --json', 'stored results of a suite'],
  ]).usage('<profile|checkpoint|results> [options]');
  qualityCmd.addCommand(defineCommand('profile', 'profile the data (types, null rates, ranges, value sets, uniqueness) and propose an expectation suite', [
    ['riffle quality profile data.csv', 'the profile and the proposed suite'],
    ['riffle quality profile "logs/*.jsonl" --out suite.yaml', 'write the suite as YAML'],
  ])
    .argument('<data>', 'a CSV, JSON Lines or Parquet file, a glob, or a Delta table directory')
    .option('--json', 'print the profile and the suite as one JSON document')
    .option('--out <file>', "write the suite (GE's JSON shape, or YAML by extension)")
    .option('--name <name>', 'the suite name (default the file name)')
    .option('--columns <c:type,...>', 'how CSV columns are read (string keeps 007 and NA as written)')
    .option('--schema <file>', 'CSV column types from a JSON/YAML file (column → type)')
    .option('--invalid-utf8 <error|replace>', 'lines that are not UTF-8: refuse (default) or replace')
    .action(action(ctx, async (c) => (await actions()).profileAction(c, ctx.io))));
  const checkpoint = defineCommand('checkpoint', 'checkpoints: validations and their actions', [['riffle quality checkpoint run cp.yaml', 'run it']]).usage('run <checkpoint> [options]');
  checkpoint.addCommand(defineCommand('run', 'validate each data asset of the checkpoint with its suite and run its actions (store results, data docs, webhook); exit 1 if a validation fails', [
    ['riffle quality checkpoint run orders.checkpoint.yaml --run-name nightly', 'a named run'],
  ])
    .argument('<checkpoint>', 'the checkpoint file (.yaml or .json)')
    .option('--run-name <name>', 'the run name (default a timestamp)')
    .option('--json', 'print the result as one JSON document')
    .action(action(ctx, async (c) => (await actions()).checkpointRunAction(c, ctx.io))));
  qualityCmd.addCommand(checkpoint);
  qualityCmd.addCommand(defineCommand('results', "list the stored results of a suite, newest first (a checkpoint's store_validation_result action writes them)", [
    ['riffle quality results orders --store results --limit 5', 'the five latest'],
  ])
    .argument('[suite]', 'the suite name (without it, the suites of the store are listed in the error)')
    .option('--store <dir>', 'the results directory (default ./results)')
    .option('--asset <name>', 'only results of this data asset')
    .option('--limit <n>', 'at most N results')
    .option('--json', 'print one JSON document')
    .action(action(ctx, async (c) => (await actions()).resultsAction(c, ctx.io))));
  return qualityCmd;
}
