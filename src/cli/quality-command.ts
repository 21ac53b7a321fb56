/**
 * `riffle quality profile <data.csv|data.jsonl> [--json] [--out suite.json|suite.yaml]`: profiles a file in one
 * pass and proposes an expectation suite (see src/quality/profile.ts for the rules). CSV cells are typed as pandas
 * reads them: empty → missing; a column whose every non-empty cell is an integer (or a number) holds numbers;
 * true/false → booleans; anything else stays a string — so the suite holds for the data when GE reads it too.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { files } from '../io/index.ts';
import * as quality from '../quality/index.ts';
import { parseArgs } from './args.ts';
import { UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import { stringify } from './run-report.ts';
import { formatTable } from './table.ts';

export const QUALITY_HELP = `riffle quality — data quality

usage:
  riffle quality profile <data.csv|data.jsonl> [--json] [--out suite.json|suite.yaml] [--name suite-name]
      profiles the data (types, null rates, ranges, value sets, uniqueness) and proposes an expectation suite;
      --out writes the suite (GE's JSON shape, or YAML), --json prints the profile and the suite as JSON`;

/** Dispatches `riffle quality ...`. */
export async function qualityCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { positionals, flags } = parseArgs(argv, { booleans: ['json', 'help'] });
  const [sub, ...rest] = positionals;
  if (flags.help === true || sub === undefined) {
    io[sub === undefined && flags.help !== true ? 'err' : 'out'](QUALITY_HELP);
    return sub === undefined && flags.help !== true ? 2 : 0;
  }
  if (sub !== 'profile') throw new UsageError(`unknown quality command '${sub}'`, { hint: "use 'riffle quality profile <data.csv|data.jsonl>'" });
  const [dataPath, ...extra] = rest;
  if (dataPath === undefined) throw new UsageError('missing the data file', { hint: 'riffle quality profile <data.csv|data.jsonl> [--out suite.json]' });
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const path = resolve(io.cwd, dataPath);
  const { rows, columns } = readTable(path);
  const name = typeof flags.name === 'string' ? flags.name : (dataPath.split('/').at(-1) ?? 'data').replace(/\.[^.]+$/, '');
  const profile = quality.profileRows(rows, { columns, name });
  if (typeof flags.out === 'string') quality.saveSuite(profile.suite, resolve(io.cwd, flags.out));
  if (flags.json === true) {
    io.out(stringify({ data: path, rows: profile.rows, columns: profile.columns, suite: profile.suite }));
    return 0;
  }
  io.out(`profile of ${dataPath}: ${profile.rows} rows, ${profile.columns.length} columns`);
  io.out(
    formatTable(
      ['column', 'type', 'nulls', 'distinct', 'min', 'max'],
      profile.columns.map((c) => [c.column, c.type, `${(c.nullRate * 100).toFixed(1)}%`, `${c.distinctApproximate ? '~' : ''}${c.distinct}`, show(c.min), show(c.max)]),
    ),
  );
  io.out(`\nproposed suite '${profile.suite.expectation_suite_name}': ${profile.suite.expectations.length} expectations`);
  for (const e of profile.suite.expectations) io.out(`  ${e.expectation_type}(${describeKwargs(e.kwargs)})`);
  if (typeof flags.out === 'string') io.out(`\nwrote ${flags.out}`);
  return 0;
}

const show = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v.slice(0, 30) : JSON.stringify(v));

function describeKwargs(kwargs: Readonly<Record<string, unknown>>): string {
  return Object.entries(kwargs)
    .map(([k, v]) => (k === 'column' ? String(v) : `${k}=${JSON.stringify(v).slice(0, 60)}`))
    .join(', ');
}

/** Reads a CSV (typed per column, as pandas) or JSON Lines file. */
export function readTable(path: string): { rows: Array<Record<string, unknown>>; columns: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  if (/\.jsonl?$/i.test(path)) {
    const rows = lines.flatMap((l, i) => {
      if (l.trim() === '') return [];
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        throw new UsageError(`${path}:${i + 1}: not JSON`);
      }
    });
    const columns: string[] = [];
    for (const r of rows) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
    return { rows, columns };
  }
  if (!/\.(csv|tsv|txt)$/i.test(path)) throw new UsageError(`${path}: expected a .csv or .jsonl file`);
  const records: string[][] = [];
  const parser = new files.CsvRecordParser({ delimiter: /\.tsv$/i.test(path) ? '\t' : ',', quote: '"' });
  const sink = { record: (fields: string[]) => void records.push(fields), malformed: (reason: string, line: number) => { throw new UsageError(`${path}:${line}: ${reason}`); } };
  lines.forEach((l, i) => parser.push(l, i + 1, sink));
  parser.end(sink);
  const [header, ...body] = records;
  const columns = header ?? [];
  const kinds = columns.map((_, i) => columnKind(body.map((r) => r[i])));
  const rows = body.map((r) => Object.fromEntries(columns.map((c, i) => [c, cell(r[i], kinds[i]!)])));
  return { rows, columns };
}

type Kind = 'number' | 'bool' | 'string';
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOL = /^(true|false|True|False|TRUE|FALSE)$/;

function columnKind(cells: ReadonlyArray<string | undefined>): Kind {
  let numbers = true;
  let bools = true;
  for (const c of cells) {
    if (c === undefined || c === '') continue;
    if (numbers && !NUMBER.test(c)) numbers = false;
    if (bools && !BOOL.test(c)) bools = false;
    if (!numbers && !bools) return 'string';
  }
  return numbers ? 'number' : bools ? 'bool' : 'string';
}

function cell(c: string | undefined, kind: Kind): unknown {
  if (c === undefined || c === '') return null;
  return kind === 'number' ? Number(c) : kind === 'bool' ? c.toLowerCase() === 'true' : c;
}
