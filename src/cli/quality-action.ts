/**
 * `riffle quality profile|checkpoint run|results`. `profile` profiles data in one pass and proposes an expectation
 * suite (see src/quality/profile.ts for the rules; CSV cells are typed as pandas reads them, so the suite holds when
 * GE reads the data too); `checkpoint run` runs a checkpoint (exit 1 when a validation fails); `results` lists a
 * results store's history of a suite, newest first.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import * as quality from '../quality/index.ts';
import { UsageError } from './cli-error.ts';
import { asCellKinds, declaredColumnTypes, invalidUtf8Flag } from './column-types.ts';
import type { CliIO } from './cli-io.ts';
import type { Command } from './command-kit.ts';
import { stringify } from './run-report.ts';
import { formatTable } from './table.ts';

/** `riffle quality profile <data> [--json] [--out suite.json|.yaml] [--name n] [--columns ... | --schema FILE] [--invalid-utf8 ...]`. */
export async function profileAction(cmd: Command, io: CliIO): Promise<number> {
  const dataPath = cmd.processedArgs[0] as string;
  const flags = cmd.opts<{ json?: boolean; out?: string; name?: string; columns?: string; schema?: string; invalidUtf8?: string }>();
  const path = resolve(io.cwd, dataPath);
  const name = flags.name !== undefined ? flags.name : (dataPath.replace(/\/+$/, '').split('/').at(-1) ?? 'data').replace(/\.[^.]+$/, '');
  const declared = declaredColumnTypes({ columns: flags.columns, schema: flags.schema !== undefined ? resolve(io.cwd, flags.schema) : undefined });
  const invalidUtf8 = invalidUtf8Flag(flags.invalidUtf8);
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
  if (flags.out !== undefined) quality.saveSuite(profile.suite, resolve(io.cwd, flags.out));
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
  if (flags.out !== undefined) io.out(`\nwrote ${flags.out}`);
  return 0;
}

/** `riffle quality checkpoint run <checkpoint.yaml|.json> [--run-name name] [--json]`. */
export async function checkpointRunAction(cmd: Command, io: CliIO): Promise<number> {
  const file = cmd.processedArgs[0] as string;
  const flags = cmd.opts<{ runName?: string; json?: boolean }>();
  const cp = quality.loadCheckpoint(resolve(io.cwd, file));
  const result = await quality.runCheckpoint(cp, flags.runName !== undefined ? { runName: flags.runName } : {});
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

/** `riffle quality results [suite] [--store dir] [--asset name] [--limit N] [--json]`. */
export async function resultsAction(cmd: Command, io: CliIO): Promise<number> {
  const suiteName = cmd.processedArgs[0] as string | undefined;
  const flags = cmd.opts<{ store?: string; asset?: string; limit?: string; json?: boolean }>();
  const store = resolve(io.cwd, flags.store ?? 'results');
  if (suiteName === undefined) {
    const suites = quality.listSuites(store);
    throw new UsageError('missing the suite name', { hint: suites.length > 0 ? `suites in ${store}: ${suites.join(', ')}` : `riffle quality results <suite> --store <dir>` });
  }
  const limit = flags.limit !== undefined ? Number(flags.limit) : undefined;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new UsageError(`--limit must be a positive integer, got ${JSON.stringify(flags.limit)}`);
  const entries = quality.listResults(store, suiteName, { ...(flags.asset !== undefined ? { asset: flags.asset } : {}), ...(limit !== undefined ? { limit } : {}) });
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
