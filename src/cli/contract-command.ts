/**
 * `riffle contract test <contract.yaml> --data <file.csv|file.jsonl> [--model name] [--json]` and
 * `riffle contract diff <old.yaml> <new.yaml> [--json]`. Test exits 0 when every check passes and 1 with each failed
 * check and its observed value; diff exits 1 when a change is breaking.
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

export const CONTRACT_HELP = `riffle contract — data contracts (Data Contract Specification or the seed layout)

usage:
  riffle contract test <contract.yaml> --data <file.csv|file.jsonl> [--model <name>] [--json]
      checks the data against the contract's schema and quality rules; exit 0 if all pass, 1 otherwise
  riffle contract diff <old.yaml> <new.yaml> [--json]
      classifies each change as compatible or breaking; exit 1 if any is breaking`;

/** Dispatches `riffle contract ...`. */
export async function contractCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { positionals, flags } = parseArgs(argv, { booleans: ['json', 'help'] });
  const [sub, ...rest] = positionals;
  if (flags.help === true || sub === undefined) {
    io[sub === undefined && flags.help !== true ? 'err' : 'out'](CONTRACT_HELP);
    return sub === undefined && flags.help !== true ? 2 : 0;
  }
  const json = flags.json === true;
  if (sub === 'test') {
    const [contractPath, ...extra] = rest;
    if (contractPath === undefined) throw new UsageError('missing the contract file', { hint: 'riffle contract test <contract.yaml> --data <file.csv|file.jsonl>' });
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    if (typeof flags.data !== 'string') throw new UsageError('missing --data <file.csv|file.jsonl>', { hint: 'riffle contract test <contract.yaml> --data <file>' });
    return testContract(resolve(io.cwd, contractPath), resolve(io.cwd, flags.data), typeof flags.model === 'string' ? flags.model : undefined, json, io);
  }
  if (sub === 'diff') {
    const [a, b] = rest;
    if (a === undefined || b === undefined) throw new UsageError('contract diff needs two contracts', { hint: 'riffle contract diff <old.yaml> <new.yaml>' });
    const diff = quality.diffContracts(quality.loadContract(resolve(io.cwd, a)), quality.loadContract(resolve(io.cwd, b)));
    if (json) io.out(stringify(diff));
    else if (diff.changes.length === 0) io.out('no changes');
    else {
      io.out(formatTable(['change', 'model', 'field', 'verdict'], diff.changes.map((c) => [c.change, c.model, c.field ?? '', c.breaking ? 'BREAKING' : 'compatible'])));
      io.out(diff.breaking ? `\nbreaking: ${diff.changes.filter((c) => c.breaking).length} change(s) break consumers` : '\ncompatible');
    }
    return diff.breaking ? 1 : 0;
  }
  throw new UsageError(`unknown contract command '${sub}'`, { hint: "use 'riffle contract test' or 'riffle contract diff'" });
}

function readRows(path: string): { rows: Array<Record<string, unknown>>; columns: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (/\.jsonl?$/i.test(path)) {
    const rows = lines.filter((l) => l.trim() !== '').map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new UsageError(`${path}:${i + 1}: not JSON`);
      }
    });
    return { rows, columns: rows[0] ? Object.keys(rows[0]) : [] };
  }
  const records: string[][] = [];
  const parser = new files.CsvRecordParser({ delimiter: ',', quote: '"' });
  const sink = { record: (fields: string[]) => void records.push(fields), malformed: (reason: string, line: number) => { throw new UsageError(`${path}:${line}: ${reason}`); } };
  lines.forEach((l, i) => parser.push(l, i + 1, sink));
  parser.end(sink);
  const [header, ...body] = records;
  const columns = header ?? [];
  // Empty cells are missing values (as pandas reads them).
  const rows = body.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] === undefined || r[i] === '' ? null : r[i]])));
  return { rows, columns };
}

function testContract(contractPath: string, dataPath: string, model: string | undefined, json: boolean, io: CliIO): number {
  const contract = quality.loadContract(contractPath);
  const compiled = quality.compileContract(contract, model);
  const { rows, columns } = readRows(dataPath);
  const result = quality.validate(rows.map(compiled.coerce), compiled.suite, { columns });
  const checks = result.results.map((r, i) => ({
    check: compiled.checkNames[i]!,
    expectation: r.expectation_config.expectation_type,
    success: r.success,
    observed: quality.observedText(r),
    result: r.result,
    ...(r.exception_info.raised_exception ? { error: r.exception_info.exception_message } : {}),
  }));
  const failed = checks.filter((c) => !c.success);
  if (json) {
    io.out(stringify({ contract: contract.id, version: contract.version, model: compiled.model.name, data: dataPath, rows: rows.length, success: result.success, statistics: result.statistics, failed: failed.map((c) => c.check), checks, skipped: compiled.skipped }));
  } else {
    io.out(`contract ${contract.title}${contract.version ? ` v${contract.version}` : ''} (model ${compiled.model.name}) on ${dataPath}: ${rows.length} rows`);
    io.out(formatTable(['status', 'check', 'observed'], checks.map((c) => [c.success ? 'pass' : 'FAIL', c.check, c.observed])));
    for (const s of compiled.skipped) io.out(`skipped: ${s.name} (${s.reason})`);
    io.out(result.success ? `\npassed: ${checks.length} checks` : `\nfailed: ${failed.length} of ${checks.length} checks\n${failed.map((c) => `  - ${c.check}: ${c.observed}`).join('\n')}`);
  }
  return result.success ? 0 : 1;
}
