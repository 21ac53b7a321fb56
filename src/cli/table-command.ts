/**
 * `riffle table <command> <table>`: Delta Lake tables in a local directory (read and written interchangeably with
 * delta-rs and Spark). Definitions only; the actions load when one runs: table-write-actions.ts (write, merge,
 * set-property), table-read-actions.ts (describe, history, show, changes), table-maintenance-actions.ts (optimize,
 * vacuum, restore). Exit codes: 0 done, 1 the operation failed (no such table, a conflict, bad data), 2 usage.
 */
import { action, collect, defineCommand, Option, type CliContext, type Command } from './command-kit.ts';
import type { TableAction } from './table-options.ts';

const writes = () => import('./table-write-actions.ts');
const reads = () => import('./table-read-actions.ts');
const maintenance = () => import('./table-maintenance-actions.ts');

const csvOptions = (cmd: Command) =>
  cmd
    .option('--columns <c:type,...>', 'fix CSV column types (string keeps cells as written, e.g. 007)')
    .option('--schema <file>', 'CSV column types from a JSON/YAML file (column → type)')
    .option('--invalid-utf8 <error|replace>', 'lines that are not UTF-8: refuse the input (default) or replace the bytes');

/** `riffle table`. */
export function defineTableCommand(ctx: CliContext): Command {
  const run = (load: () => Promise<TableAction>) => action(ctx, async (c) => {
    const [{ runTableAction }, act] = await Promise.all([import('./table-options.ts'), load()]);
    return runTableAction(c, ctx.io, act);
  });
  const sub = (name: string, description: string, examples: ReadonlyArray<readonly [string, string]>) =>
    defineCommand(name, description, examples).argument('<table>', 'the table path');

  const table = defineCommand('table', 'Delta tables: write, merge, describe, history, show, optimize, vacuum, restore, changes, set-property', [
    ['riffle table write tables/orders --from orders.csv', 'create the table (or append) from a file'],
    ['riffle table show tables/orders --where "country = \'fr\'" --limit 5', 'some rows'],
    ['riffle table history tables/orders --json', 'the commits as JSON'],
  ])
    .usage('<command> <table> [options]')
    .option('--json', 'print the result as one JSON document (timestamps as ISO-8601, longs as numbers when exact)')
    .option('--allow-external-files', "read data files the log names outside the table (absolute paths, e.g. a shallow clone's); without it such a log is refused");

  table.addCommand(csvOptions(sub('write', "append (or overwrite with) a file's rows; creates the table when missing, with column types inferred from the file", [
    ['riffle table write t --from a.csv --partition-by country', 'a partitioned table'],
    ['riffle table write t --from b.jsonl --mode overwrite --merge-schema', 'replace the rows, adding new columns'],
  ])
    .option('--from <file>', 'the input: .csv, .jsonl or .parquet (required)')
    .option('--mode <append|overwrite>', 'append (default) or overwrite')
    .option('--partition-by <c,...>', 'partition columns, when the table is created')
    .option('--merge-schema', 'add columns the table does not have (nullable)')
    .addOption(new Option('--property <k=v>', 'set a table property (repeatable): at creation, or as its own commit before the write').argParser(collect).default(undefined)))
    .action(run(async () => (await writes()).writeAction)));
  table.addCommand(csvOptions(sub('merge', 'upsert: rows matching a table row on the keys update it (the file\'s columns), the others are inserted', [
    ['riffle table merge t --from changes.csv --on id', 'upsert by id'],
  ])
    .option('--from <file>', 'the input: .csv, .jsonl or .parquet (required)')
    .option('--on <key,...>', 'the key columns (required)'))
    .action(run(async () => (await writes()).mergeAction)));
  table.addCommand(sub('describe', 'version, schema, partition columns, properties, protocol, files, size', [['riffle table describe t --json', 'as JSON']])
    .action(run(async () => (await reads()).describeAction)));
  table.addCommand(sub('history', 'commits, newest first: version, time, operation, parameters', [['riffle table history t --limit 5', 'the five latest commits']])
    .option('--limit <n>', 'at most N commits')
    .action(run(async () => (await reads()).historyAction)));
  table.addCommand(sub('show', 'rows at a version (default latest; --limit defaults to 20 without --json)', [
    ['riffle table show t --version 3 --columns id,amount', 'two columns at version 3'],
    ['riffle table show t --where "amount > 100 and country in (\'fr\', \'de\')"', 'a predicate (it also skips files)'],
    ['riffle table show t --json', 'as JSON: decimals as exact strings, timestamps ISO-8601 with µs (timestamp_ntz without zone), binary as base64'],
  ])
    .option('--version <n>', 'the table version')
    .option('--timestamp <time>', 'the version current at this ISO-8601 time')
    .option('--where <predicate>', 'a conjunction of column comparisons (=, !=, <, <=, >, >=, is [not] null, in (...))')
    .option('--columns <c,...>', 'only these columns')
    .option('--limit <n>', 'at most N rows')
    .action(run(async () => (await reads()).showAction)));
  table.addCommand(sub('optimize', 'compact small files, or cluster them by up to 4 columns (Z-order) so predicates skip more files', [
    ['riffle table optimize t --zorder-by x,y', 'Z-order by x and y'],
  ])
    .option('--zorder-by <c,...>', 'cluster by these columns (1 to 4)')
    .option('--target-size <size>', 'target file size, e.g. 128MB')
    .option('--where <predicate>', 'only the partitions matching this partition predicate')
    .action(run(async () => (await maintenance()).optimizeAction)));
  table.addCommand(sub('vacuum', 'delete files no version within the retention needs (default 168 hours; below it needs --force)', [
    ['riffle table vacuum t --dry-run', 'what would be deleted'],
  ])
    .option('--retention-hours <h>', 'the retention in hours (default 168)')
    .option('--dry-run', 'list the files, delete nothing')
    .option('--force', 'allow a retention below the table\'s minimum')
    .action(run(async () => (await maintenance()).vacuumAction)));
  table.addCommand(sub('restore', 'make an earlier version current again (a new RESTORE commit)', [['riffle table restore t --version 2', 'back to version 2']])
    .option('--version <n>', 'the version to restore')
    .option('--timestamp <time>', 'the version current at this ISO-8601 time')
    .action(run(async () => (await maintenance()).restoreAction)));
  table.addCommand(sub('changes', 'the change data feed (delta.enableChangeDataFeed=true): _change_type, _commit_version, rows', [
    ['riffle table changes t --from 3 --json', 'changes since version 3'],
  ])
    .option('--from <v>', 'the first version (required)')
    .option('--to <v>', 'the last version (default the latest)')
    .action(run(async () => (await reads()).changesAction)));
  table.addCommand(sub('set-property', "set table properties in one commit (Delta's ALTER TABLE SET TBLPROPERTIES); delta.* keys must be ones Riffle honours", [
    ['riffle table set-property t delta.enableChangeDataFeed=true', 'turn the change data feed on'],
  ])
    .argument('[pairs...]', 'k=v pairs')
    .action(run(async () => (await writes()).setPropertyAction)));
  return table;
}
