/**
 * The action of `riffle sql`: one query, the statements of stdin, or the REPL (sql-repl.ts).
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import type { Command } from './command-kit.ts';
import { formatResult, type SqlFormat } from './sql-output.ts';
import { runRepl } from './sql-repl.ts';
import { SqlSession, type QueryResult } from '../sql/index.ts';

interface SqlFlags {
  json?: boolean;
  csv?: boolean;
  format?: SqlFormat;
  file?: string;
  stats?: boolean;
  allowExternalFiles?: boolean;
}

/** The output format the flags ask for (one of --json, --csv, --format). */
export function formatOf(flags: SqlFlags): SqlFormat {
  const asked = [flags.json === true ? 'json' : undefined, flags.csv === true ? 'csv' : undefined, flags.format].filter((f) => f !== undefined);
  if (new Set(asked).size > 1) throw new UsageError(`give one output format, not ${asked.join(' and ')}`, { hint: 'use --json, --csv or --format table|json|csv' });
  return (asked[0] ?? 'table') as SqlFormat;
}

/** Prints the Delta scans of a result (--stats). */
export function printScans(result: QueryResult, io: CliIO): void {
  for (const s of result.scans) {
    io.err(`delta('${s.table}') version ${s.version}: read ${s.filesRead} of ${s.filesTotal} files${s.predicate ? ` (skipping on ${Object.keys(s.predicate).join(', ')})` : ''}`);
  }
}

export async function sqlAction(cmd: Command, io: CliIO): Promise<number> {
  const flags = cmd.opts<SqlFlags>();
  const format = formatOf(flags);
  let query = cmd.processedArgs[0] as string | undefined;
  if (flags.file !== undefined) {
    if (query !== undefined) throw new UsageError('give a query or --file, not both');
    try {
      query = readFileSync(flags.file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read --file ${flags.file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  if (query !== undefined && query.trim() === '') throw new UsageError('the query is empty', { hint: 'riffle sql "SELECT 1"' });
  const session = await SqlSession.open({ cwd: io.cwd, allowExternalFiles: flags.allowExternalFiles === true });
  try {
    if (query === undefined) {
      return await runRepl(session, io, { input: process.stdin, output: process.stdout, format, stats: flags.stats === true, interactive: process.stdin.isTTY === true });
    }
    const result = await session.query(query);
    if (flags.stats === true) printScans(result, io);
    io.out(formatResult(result, format));
    return 0;
  } finally {
    session.close();
  }
}
