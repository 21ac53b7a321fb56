/**
 * `riffle sql ["<query>"]`: SQL over CSV/JSON Lines/Parquet files and globs and over Delta tables (DuckDB in this
 * process). With a query: runs it once and prints the result (a table, --json or --csv). Without one: a REPL on a
 * terminal (history in ~/.riffle_sql_history), or the statements read from stdin. Definitions only; the actions
 * (sql-actions.ts) load DuckDB when one runs.
 */
import { action, defineCommand, Option, type CliContext, type Command } from './command-kit.ts';

const NOTES = `
Sources: read_parquet('f.parquet'), read_csv('data/*.csv'), read_json('f.jsonl') (as DuckDB spells them);
Delta tables: delta('path'), delta('path', version => 3), delta('path', timestamp => '2024-05-01T00:00:00Z')
(only the files that may match the WHERE clause's simple predicates are read); table_history('path'),
table_files('path'), table_changes('path', from_version[, to_version]).
Timestamps print and parse in UTC. With --json, stdout holds one JSON array of row objects (integers beyond 2^53
and decimals as strings). Exit codes: 0 done, 1 the query failed (syntax, unknown table or column, I/O), 2 usage.
REPL: end statements with ';'; .tables lists tables and views, .mode table|csv|json, .exit quits.`;

/** `riffle sql`. */
export function defineSqlCommand(ctx: CliContext): Command {
  const cmd = defineCommand('sql', 'SQL over files (CSV, JSON Lines, Parquet) and Delta tables, one query or a REPL', [
    ['riffle sql "SELECT count(*) FROM read_parquet(\'data/*.parquet\')"', 'one query over files'],
    ['riffle sql "SELECT * FROM delta(\'tables/orders\', version => 3) WHERE country = \'fr\'" --json', 'time travel, pruned, as JSON'],
    ['riffle sql "SELECT * FROM table_history(\'tables/orders\')"', "a table's commits"],
    ['riffle sql', 'the REPL (or statements from stdin)'],
  ])
    .argument('[query]', 'the SQL query (without it: a REPL on a terminal, else statements from stdin)')
    .option('--json', 'print the rows as one JSON array of objects')
    .option('--csv', 'print the rows as CSV with a header line')
    .addOption(new Option('--format <format>', 'the output format').choices(['table', 'json', 'csv']))
    .option('--file <file>', 'read the query from a file')
    .option('--stats', 'print the Delta scans (files read of the files in the snapshot) to stderr')
    .option('--allow-external-files', 'read data files a Delta log names outside its table (absolute paths)');
  cmd.addHelpText('after', NOTES);
  cmd.action(action(ctx, async (c) => (await import('./sql-actions.ts')).sqlAction(c, ctx.io)));
  return cmd;
}
