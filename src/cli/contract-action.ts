/**
 * `riffle contract test|diff`: test data against a data contract (exit 1 when a check fails, with each failed check and
 * its observed value), and classify the changes between two versions of a contract (exit 1 when one is breaking).
 */
import { resolve } from 'node:path';
import * as quality from '../quality/index.ts';
import { UsageError } from './cli-error.ts';
import { asCellKinds, declaredColumnTypes, invalidUtf8Flag } from './column-types.ts';
import type { CliIO } from './cli-io.ts';
import type { Command } from './command-kit.ts';
import { stringify } from './run-report.ts';
import { formatTable } from './table.ts';

interface TestOptions {
  data?: string;
  version?: string;
  model?: string;
  columns?: string;
  schema?: string;
  invalidUtf8?: string;
  json?: boolean;
}

/** `riffle contract test <contract.yaml> --data <file|glob|delta table> [...]`. */
export async function contractTestAction(cmd: Command, io: CliIO): Promise<number> {
  const contractPath = cmd.processedArgs[0] as string;
  const flags = cmd.opts<TestOptions>();
  if (flags.data === undefined) throw new UsageError('missing --data <file|glob|delta table>', { hint: 'riffle contract test <contract.yaml> --data <file.csv|file.jsonl|file.parquet|table dir>' });
  let version: number | undefined;
  if (flags.version !== undefined) {
    version = Number(flags.version);
    if (!/^\d+$/.test(flags.version.trim()) || !Number.isInteger(version) || version < 0) throw new UsageError(`--version must be a table version (an integer ≥ 0), got ${JSON.stringify(flags.version)}`);
  }
  const declared = declaredColumnTypes({ columns: flags.columns, schema: flags.schema !== undefined ? resolve(io.cwd, flags.schema) : undefined });
  return testContract(resolve(io.cwd, contractPath), flags.data, { ...(flags.model !== undefined ? { model: flags.model } : {}), ...(version !== undefined ? { version } : {}), ...(declared ? { columnKinds: asCellKinds(declared) } : {}), invalidUtf8: invalidUtf8Flag(flags.invalidUtf8), json: flags.json === true }, io);
}

/** `riffle contract diff <old.yaml> <new.yaml> [--json]`. */
export async function contractDiffAction(cmd: Command, io: CliIO): Promise<number> {
  const [a, b] = cmd.processedArgs as [string, string];
  const json = cmd.opts<{ json?: boolean }>().json === true;
  const diff = quality.diffContracts(quality.loadContract(resolve(io.cwd, a)), quality.loadContract(resolve(io.cwd, b)));
  if (json) io.out(stringify(diff));
  else if (diff.changes.length === 0) io.out('no changes');
  else {
    io.out(formatTable(['change', 'model', 'field', 'verdict'], diff.changes.map((c) => [c.change, c.model, c.field ?? '', c.breaking ? 'BREAKING' : 'compatible'])));
    io.out(diff.breaking ? `\nbreaking: ${diff.changes.filter((c) => c.breaking).length} change(s) break consumers` : '\ncompatible');
  }
  return diff.breaking ? 1 : 0;
}

async function testContract(contractPath: string, dataPath: string, options: { model?: string; version?: number; columnKinds?: Record<string, quality.CellKind>; invalidUtf8?: 'error' | 'replace' | undefined; json: boolean }, io: CliIO): Promise<number> {
  const contract = quality.loadContract(contractPath);
  const compiled = quality.compileContract(contract, options.model);
  // CSV cells stay text: the contract's declared types convert them (a cell that does not convert fails the type check).
  const data = quality.assetFromPath(dataPath, io.cwd, { types: 'text', ...(options.columnKinds ? { columnKinds: options.columnKinds } : {}), ...(options.invalidUtf8 ? { invalidUtf8: options.invalidUtf8 } : {}), ...(options.version !== undefined ? { version: options.version } : {}) });
  const result = await quality.validateAsset(data, compiled.suite, { mapRow: compiled.coerce });
  const rows = result.meta.row_count;
  const checks = result.results.map((r, i) => ({
    check: compiled.checkNames[i]!,
    expectation: r.expectation_config.expectation_type,
    success: r.success,
    observed: quality.observedText(r),
    result: r.result,
    ...(r.approximate ? { approximate: true } : {}),
    ...(r.exception_info.raised_exception ? { error: r.exception_info.exception_message } : {}),
  }));
  // A Delta table has commit times: the contract's freshness SLA is measured on it (files have none).
  let skipped = compiled.skipped;
  let freshness: quality.FreshnessCheck | undefined;
  if (data.kind === 'delta' && contract.freshnessMinutes !== undefined && data.version === undefined) {
    const limit = contract.freshnessMinutes;
    freshness = await quality.checkDeltaFreshness(data.path, { expectedInterval: `${limit}m` });
    const age = freshness.stalenessMinutes;
    const ok = age !== null && age <= limit;
    checks.push({
      check: `freshness: max delay ${limit} min`, expectation: 'freshness', success: ok,
      observed: age === null ? 'no commit' : `last commit ${Math.round(age * 10) / 10} min ago (${freshness.lastUpdated})`,
      result: { observed_value: age, details: { ...freshness } },
    });
    skipped = skipped.filter((s) => !s.name.startsWith('freshness:'));
  }
  const malformed = result.meta.malformed_records as quality.MalformedRecords | undefined;
  if (malformed) {
    // Rows that could not be read were not checked: the test fails, as a check of its own, with the count.
    checks.push({
      check: 'readable records', expectation: 'readable_records', success: false,
      observed: `${malformed.count} record${malformed.count === 1 ? '' : 's'} could not be read (${malformed.examples.slice(0, 3).map((m) => m.reason).join('; ')})`,
      result: { observed_value: malformed.count, details: { ...malformed } },
    });
  }
  const success = result.success && checks.every((c) => c.success);
  const failed = checks.filter((c) => !c.success);
  // An input without records passes most checks vacuously: say so, whatever the outcome.
  if (rows === 0) io.err(`warning: ${dataPath} has no records (checks over rows passed vacuously)`);
  const dataInfo = { path: dataPath, kind: data.kind, ...(data.kind === 'delta' && data.version !== undefined ? { version: data.version } : {}) };
  if (options.json) {
    io.out(stringify({
      contract: contract.id, version: contract.version, model: compiled.model.name, data: dataInfo, rows, success, statistics: result.statistics,
      failed: failed.map((c) => c.check), checks, skipped, ...(malformed ? { malformed_records: malformed } : {}),
    }));
  } else {
    io.out(`contract ${contract.title}${contract.version ? ` v${contract.version}` : ''} (model ${compiled.model.name}) on ${dataPath}${data.kind === 'delta' ? ` (Delta table${data.version !== undefined ? ` v${data.version}` : ''})` : ''}: ${rows} rows`);
    io.out(formatTable(['status', 'check', 'observed'], checks.map((c) => [c.success ? 'pass' : 'FAIL', c.check, c.observed])));
    for (const s of skipped) io.out(`skipped: ${s.name} (${s.reason})`);
    if (malformed) io.out(`unreadable records: ${malformed.count} (e.g. ${malformed.examples.slice(0, 3).map((m) => m.reason).join('; ')}); the test fails`);
    io.out(success ? `\npassed: ${checks.length} checks` : `\nfailed: ${failed.length} of ${checks.length} checks\n${failed.map((c) => `  - ${c.check}: ${c.observed}`).join('\n')}`);
  }
  return success ? 0 : 1;
}
