/**
 * `riffle quality checkpoint run <file>` runs a checkpoint (exit 1 when a validation fails); `riffle quality results
 * <suite>` lists a results store's history of a suite, newest first.
 *
 * `riffle quality profile <data.csv|data.jsonl> [--json] [--out suite.json|suite.yaml]`: profiles a file in one
 * pass and proposes an expectation suite (see src/quality/profile.ts for the rules). CSV cells are typed as pandas
 * reads them: empty → missing; a column whose every non-empty cell is an integer (or a number) holds numbers;
 * true/false → booleans; anything else stays a string — so the suite holds for the data when GE reads it too.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import * as quality from '../quality/index.ts';
import { parseArgs } from './args.ts';
import { UsageError } from './cli-error.ts';
import { asCellKinds, declaredColumnTypes, invalidUtf8Flag } from './column-types.ts';
import type { CliIO } from './cli-io.ts';
import { stringify } from './run-report.ts';
import { formatTable } from './table.ts';

export const QUALITY_HELP = `riffle quality — data quality

usage:
  riffle quality profile <data.csv|data.jsonl|data.parquet|glob|delta table dir> [--json] [--out suite.json|.yaml] [--name n]
        [--columns c:type,... | --schema FILE] [--invalid-utf8 error|replace]
      profiles the data (types, null rates, ranges, value sets, uniqueness) and proposes an expectation suite;
      --out writes the suite (GE's JSON shape, or YAML), --json prints the profile and the suite as JSON;
      --columns/--schema fix how CSV columns are read (string keeps 007 and NA as written); records that cannot
      be read are counted in a warning
  riffle quality checkpoint run <checkpoint.yaml|.json> [--run-name name] [--json]
      validates each data asset of the checkpoint with its suite (files, globs or Delta tables, streamed in one
      pass) and runs its actions (store results, data docs, webhook); exit 0 if every validation passed, 1 if not
  riffle quality results <suite> [--store dir] [--asset name] [--limit N] [--json]
      lists the stored results of a suite, newest first (--store defaults to ./results, as a checkpoint's
      store_validation_result action does next to its file)`;

/** Dispatches `riffle quality ...`. */
export async function qualityCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { positionals, flags } = parseArgs(argv, { booleans: ['json', 'help'] });
  const [sub, ...rest] = positionals;
  if (flags.help === true || sub === undefined) {
    io[sub === undefined && flags.help !== true ? 'err' : 'out'](QUALITY_HELP);
    return sub === undefined && flags.help !== true ? 2 : 0;
  }
  if (sub === 'checkpoint') return checkpointCommand(rest, flags, io);
  if (sub === 'results') return resultsCommand(rest, flags, io);
  if (sub !== 'profile') throw new UsageError(`unknown quality command '${sub}'`, { hint: "use 'riffle quality profile', 'riffle quality checkpoint run' or 'riffle quality results'" });
  const [dataPath, ...extra] = rest;
  if (dataPath === undefined) throw new UsageError('missing the data file', { hint: 'riffle quality profile <data.csv|data.jsonl> [--out suite.json]' });
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const path = resolve(io.cwd, dataPath);
  const name = typeof flags.name === 'string' ? flags.name : (dataPath.replace(/\/+$/, '').split('/').at(-1) ?? 'data').replace(/\.[^.]+$/, '');
  const declared = declaredColumnTypes({ columns: flags.columns, schema: typeof flags.schema === 'string' ? resolve(io.cwd, flags.schema) : flags.schema });
  const invalidUtf8 = invalidUtf8Flag(flags['invalid-utf8']);
  // Every input is streamed (bounded memory); a single file is typed from all of its cells (a first pass folds each
  // column's kind, as pandas types whole columns), globs and tables from their first rows.
  const malformed: quality.MalformedRecords = { count: 0, examples: [] };
  const whole = !quality.isDeltaTable(path) && !/[*?[{]/.test(dataPath);
  if (whole && !existsSync(path)) throw new UsageError(`cannot read ${dataPath}: no such file`, { hint: 'give a CSV, JSON Lines or Parquet file, a glob or a Delta table directory' });
  const profile = await quality.profileAsset(
    quality.assetFromPath(dataPath, io.cwd, { ...(whole ? { inferRows: Infinity } : {}), ...(declared ? { columnKinds: asCellKinds(declared) } : {}), ...(invalidUtf8 ? { invalidUtf8 } : {}) }),
    { name, malformed },
  );
  if (malformed.count > 0) {
    io.err(`warning: ${malformed.count} record${malformed.count === 1 ? '' : 's'} could not be read and are not in the profile (e.g. ${malformed.examples.slice(0, 3).map((m) => `${m.file}:${m.line}: ${m.reason}`).join('; ')})`);
  }
  if (profile.rows === 0) io.err(`warning: ${dataPath} has no records: the profile and its proposed suite know only the column names`);
  if (typeof flags.out === 'string') quality.saveSuite(profile.suite, resolve(io.cwd, flags.out));
  if (flags.json === true) {
    io.out(stringify({ data: path, rows: profile.rows, columns: profile.columns, suite: profile.suite, ...(malformed.count > 0 ? { malformed_records: malformed } : {}) }));
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

async function checkpointCommand(args: readonly string[], flags: Record<string, string | boolean>, io: CliIO): Promise<number> {
  const [action, file, ...extra] = args;
  if (action !== 'run') throw new UsageError(action === undefined ? 'missing the checkpoint command' : `unknown checkpoint command '${action}'`, { hint: 'riffle quality checkpoint run <checkpoint.yaml>' });
  if (file === undefined) throw new UsageError('missing the checkpoint file', { hint: 'riffle quality checkpoint run <checkpoint.yaml>' });
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const cp = quality.loadCheckpoint(resolve(io.cwd, file));
  const result = await quality.runCheckpoint(cp, typeof flags['run-name'] === 'string' ? { runName: flags['run-name'] } : {});
  if (flags.json === true) {
    io.out(stringify(result));
    return result.success ? 0 : 1;
  }
  io.out(`checkpoint ${cp.name}, run ${result.run_id.run_name} (${result.run_id.run_time})`);
  io.out(
    formatTable(
      ['status', 'asset', 'suite', 'expectations passed', 'rows', 'failed'],
      result.run_results.map((v) => {
        const r = v.validation_result;
        return [v.success ? 'pass' : 'FAIL', v.data_asset, v.suite, r ? `${r.statistics.successful_expectations}/${r.statistics.evaluated_expectations}` : '', r ? String(r.meta.row_count) : '', v.error ?? (r ? quality.failedExpectations(r).join(', ') : '')];
      }),
    ),
  );
  for (const v of result.run_results) {
    for (const r of v.validation_result?.results ?? []) if (!r.success) io.out(`  ${v.data_asset}: ${r.expectation_config.expectation_type}${typeof r.expectation_config.kwargs.column === 'string' ? `(${r.expectation_config.kwargs.column})` : ''}: ${quality.observedText(r)}`);
    if (v.validation_result?.meta.row_count === 0) io.err(`warning: ${v.data_asset} has no records (expectations over rows passed vacuously)`);
    const m = v.validation_result?.meta.malformed_records as quality.MalformedRecords | undefined;
    if (m) io.out(`  ${v.data_asset}: ${m.count} record${m.count === 1 ? '' : 's'} could not be read, so the validation fails (e.g. ${m.examples.slice(0, 3).map((x) => `${x.file}:${x.line}: ${x.reason}`).join('; ')})`);
  }
  for (const a of [...result.run_results.flatMap((v) => v.actions), ...result.actions]) {
    if (a.skipped) continue;
    const where = a.detail?.path ?? a.detail?.page ?? a.detail?.url ?? '';
    io.out(`action ${a.action}: ${a.ok ? 'ok' : `FAILED: ${a.error}`}${a.ok && where !== '' ? ` (${String(where)})` : ''}`);
  }
  io.out(result.success ? '\npassed' : `\nfailed: ${result.run_results.filter((v) => !v.success).length} of ${result.run_results.length} validations`);
  return result.success ? 0 : 1;
}

function resultsCommand(args: readonly string[], flags: Record<string, string | boolean>, io: CliIO): number {
  const [suiteName, ...extra] = args;
  const store = resolve(io.cwd, typeof flags.store === 'string' ? flags.store : 'results');
  if (suiteName === undefined) {
    const suites = quality.listSuites(store);
    throw new UsageError('missing the suite name', { hint: suites.length > 0 ? `suites in ${store}: ${suites.join(', ')}` : `riffle quality results <suite> --store <dir>` });
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const limit = typeof flags.limit === 'string' ? Number(flags.limit) : undefined;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new UsageError(`--limit must be a positive integer, got ${JSON.stringify(flags.limit)}`);
  const entries = quality.listResults(store, suiteName, { ...(typeof flags.asset === 'string' ? { asset: flags.asset } : {}), ...(limit !== undefined ? { limit } : {}) });
  if (flags.json === true) {
    io.out(stringify({ store, suite: suiteName, results: entries }));
    return 0;
  }
  if (entries.length === 0) {
    io.out(`no stored results for suite '${suiteName}' in ${store}`);
    return 0;
  }
  io.out(formatTable(['run time', 'run name', 'asset', 'status', 'passed', 'rows', 'file'], entries.map((e) => [e.run_time, e.run_name, e.asset, e.success ? 'pass' : 'FAIL', `${e.statistics.successful_expectations}/${e.statistics.evaluated_expectations}`, String(e.row_count), e.path])));
  return 0;
}

const show = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v.slice(0, 30) : JSON.stringify(v));

function describeKwargs(kwargs: Readonly<Record<string, unknown>>): string {
  return Object.entries(kwargs)
    .map(([k, v]) => (k === 'column' ? String(v) : `${k}=${JSON.stringify(v).slice(0, 60)}`))
    .join(', ');
}

/**
 * Reads a CSV (typed per column from all of its cells, by the shared typing rule) or JSON Lines file into rows, as
 * `riffle quality profile` reads it.
 */
export async function readTable(path: string): Promise<{ rows: Array<Record<string, unknown>>; columns: string[] }> {
  const rows: Array<Record<string, unknown>> = [];
  let columns: string[] = [];
  for await (const batch of quality.scanAsset(quality.asset.file(path, { inferRows: Infinity }))) {
    if (columns.length === 0) columns = [...batch.columns];
    rows.push(...batch.rows);
  }
  return { rows, columns };
}
