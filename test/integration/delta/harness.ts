// Shared by the delta-rs interop tests: the venv (setup.sh), the oracle (oracle.py) and comparisons in its exact
// encoding. Without the venv the tests skip, unless RIFFLE_INTEGRATION=1 (as .ci/run sets), where they fail.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeltaTable } from '../../../src/lakehouse/index.ts';

export const venv = join(process.env.RIFFLE_CACHE ?? join(homedir(), '.cache', 'riffle'), 'py');
export const python = join(venv, 'bin', 'python');
export const oracle = fileURLToPath(new URL('./oracle.py', import.meta.url));
export const required = process.env.RIFFLE_INTEGRATION === '1';
export const missing = existsSync(python) ? undefined : `delta-rs venv not found at ${venv}: run test/integration/delta/setup.sh (or set RIFFLE_CACHE)`;
export const skip = missing !== undefined && !required ? missing : false;

export type Encoded = Record<string, string | number | boolean | null>;
export interface Described {
  version: number;
  protocol: [number, number];
  versions: Record<string, Encoded[] | { error: string }>;
  files: Record<string, number>;
  history: { version: number; operation: string; timestamp: number }[];
  metrics?: Record<string, Record<string, number>>;
}

export function deltaRs<T = Described>(...args: string[]): T {
  const r = spawnSync(python, [oracle, ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`delta-rs oracle ${args[0]} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export const sortRows = (rows: Encoded[]): Encoded[] => [...rows].sort((a, b) => (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0));
/** Riffle's canonical values in the oracle's exact encoding (64-bit ints and µs timestamps as strings). */
export const encode = (rows: Record<string, unknown>[]): Encoded[] =>
  sortRows(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : (v as Encoded[string])]))));

export async function assertSameAsDeltaRs(table: DeltaTable, described: Described): Promise<void> {
  assert.equal(described.version, await table.version(), 'latest version');
  for (const [v, expected] of Object.entries(described.versions)) {
    if ('error' in expected) assert.fail(`delta-rs could not read version ${v}: ${expected.error}`);
    assert.deepEqual(encode(await table.read({ version: Number(v) })), sortRows(expected), `rows at version ${v}`);
    assert.equal((await table.snapshot(Number(v))).files.length, described.files[v], `files at version ${v}`);
  }
  const ours = (await table.history()).map((h) => ({ version: h.version, operation: h.operation, timestamp: h.timestamp }));
  assert.deepEqual(ours, described.history, 'history');
}

/**
 * Like assertSameAsDeltaRs, for tables vacuum has run on: a version delta-rs cannot read any more (its files are
 * gone) must fail in Riffle too; every other version reads identically. Returns the versions both could read.
 */
export async function assertAgreesWithDeltaRs(table: DeltaTable, described: Described): Promise<number[]> {
  assert.equal(described.version, await table.version(), 'latest version');
  const readable: number[] = [];
  for (const [v, expected] of Object.entries(described.versions)) {
    if ('error' in expected) {
      await assert.rejects(table.read({ version: Number(v) }), `delta-rs cannot read version ${v} (${expected.error.slice(0, 120)}), so Riffle must not either`);
      continue;
    }
    assert.deepEqual(encode(await table.read({ version: Number(v) })), sortRows(expected), `rows at version ${v}`);
    assert.equal((await table.snapshot(Number(v))).files.length, described.files[v], `files at version ${v}`);
    readable.push(Number(v));
  }
  const ours = (await table.history()).map((h) => ({ version: h.version, operation: h.operation, timestamp: h.timestamp }));
  assert.deepEqual(ours, described.history, 'history');
  return readable;
}

/**
 * The schema of the interop tables: the common types, a non-nullable long key (every other type: types.test.ts).
 *
 * @example
 * await DeltaTable.create(path, { schema: interopSchema, partitionBy: ['country'] });
 */
export const interopSchema = {
  id: { type: 'long', nullable: false }, name: 'string', country: 'string', amount: 'double', ok: 'boolean', ts: 'timestamp', day: 'date', n: 'integer',
} as const;

/**
 * Rows `start … start + count - 1` of the interop data: ids past 2^53 (exactness), nulls, negative timestamps, the
 * given partition values (`countries`, cycled) and dates (a fixed day, or a function of i).
 *
 * @example
 * await table.append(interopRows(0, 10, { countries: [null, 'fr'], day: '2024-02-28' }));
 */
export function interopRows(start: number, count: number, options: { readonly countries: readonly (string | null)[]; readonly day: string | ((i: number) => string | Date) }) {
  return Array.from({ length: count }, (_, k) => {
    const i = start + k;
    return {
      id: BigInt(i) * 1_000_000_007n + (i % 3 === 0 ? 2n ** 60n : 0n), name: i % 5 === 0 ? null : `riffle-${i}`, country: options.countries[i % options.countries.length],
      amount: i % 7 === 0 ? null : i * 0.1, ok: i % 2 === 0, ts: BigInt(i) * 1_000_003n - 5_000_000n,
      day: typeof options.day === 'string' ? options.day : options.day(i), n: i,
    };
  });
}
