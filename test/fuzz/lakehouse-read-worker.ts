/**
 * Child process of the lakehouse fuzz tier (lakehouse.test.ts): reads each case named on stdin (one JSON object a
 * line: `{ id, kind: 'table' | 'parquet', path, root, fields? }`, `root` the sentinel's folder) and prints one JSON line per case — the rows' count and
 * checksum, or the error (name, code, message) — plus every file it opened outside the case's own directory. Opens
 * are recorded by wrapping node's fs (open, readFile, createReadStream), the way any reader reaches a file. The
 * parent bounds the time of each case: a hang is a killed child, reported as a failure naming the case.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);
const opened: string[] = [];
const record = (p: unknown): void => {
  if (typeof p === 'string' || p instanceof URL || Buffer.isBuffer(p)) opened.push(resolve(String(p instanceof URL ? p.pathname : p)));
};
const fs = require('node:fs') as typeof import('node:fs');
const fsp = require('node:fs/promises') as typeof import('node:fs/promises');
for (const [mod, names] of [[fs, ['open', 'openSync', 'readFile', 'readFileSync', 'createReadStream']], [fsp, ['open', 'readFile']]] as const) {
  for (const name of names) {
    const target = mod as unknown as Record<string, (...a: unknown[]) => unknown>;
    const original = target[name];
    target[name] = function (this: unknown, ...args: unknown[]) {
      record(args[0]);
      return original.apply(this, args);
    };
  }
}
syncBuiltinESMExports();

const { DeltaTable } = await import('../../src/lakehouse/index.ts');
const { readRowGroups } = await import('../../src/lakehouse/parquet-io.ts');

interface Case { id: number; kind: 'table' | 'parquet'; path: string; root: string; fields?: { name: string; type: string; nullable: boolean; metadata: object }[] }

/** A checksum of rows independent of their order: the sum of a hash of each row's JSON. */
function checksum(rows: Iterable<Record<string, unknown>>): { rows: number; sum: number } {
  let count = 0;
  let sum = 0;
  for (const row of rows) {
    count++;
    const text = JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    let h = 2166136261;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
    sum = (sum + (h >>> 0)) % 2 ** 48;
  }
  return { rows: count, sum };
}

async function run(c: Case): Promise<unknown> {
  if (c.kind === 'table') {
    const table = await DeltaTable.open(c.path, { onWarning: () => undefined });
    return checksum(await table.read());
  }
  const rows: Record<string, unknown>[] = [];
  for await (const g of readRowGroups(c.path, c.fields as never)) {
    for (let i = 0; i < g.numRows; i++) rows.push(Object.fromEntries(c.fields!.map((f, k) => [f.name, g.columns[k]?.[i] ?? null])));
  }
  return checksum(rows);
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  const c = JSON.parse(line) as Case;
  opened.length = 0;
  let out: Record<string, unknown>;
  try {
    out = { ok: await run(c) };
  } catch (e) {
    const err = e as Error & { code?: unknown };
    out = { error: { name: err?.name, code: typeof err?.code === 'string' ? err.code : undefined, message: String(err?.message ?? e).slice(0, 600) } };
  }
  // Opens of the sentinel's folder (outside every table; hostile logs and links point there). Opens in other cases'
  // folders can be reads an earlier, failed case left in flight: not counted.
  const outside = opened.filter((p) => p === c.root || p.startsWith(c.root + sep));
  process.stdout.write(`${JSON.stringify({ id: c.id, ...out, outside })}\n`);
}
