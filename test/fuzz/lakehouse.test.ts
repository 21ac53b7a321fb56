/**
 * Fuzz tier of the lakehouse readers: Delta tables and Parquet files damaged one way at a time — flipped bits and
 * truncations in data files and checkpoints, null/garbage/malformed lines and 0-byte commits, a damaged
 * `_last_checkpoint`, hostile data paths (`../`, absolute, `file://`, percent-encoded `..%2F`) and symbolic links
 * pointing at a sentinel file outside the table. Each read runs in a child process (lakehouse-read-worker.ts) under a
 * time bound, and must:
 *  - finish (a hang is a failure naming the case, not a stuck test);
 *  - give the undamaged table's exact rows (Riffle's files carry page CRCs, so damaged data is never read as data),
 *    or — when the damage is in the log, which has no checksum — rows from files inside the table, or a RiffleError
 *    (a code, never a TypeError/RangeError) naming the damaged file or path;
 *  - never open a file outside the table (the sentinel).
 *
 * `npm test` runs a small count; `.ci/tiers/fuzz-lakehouse.sh` a large one (RIFFLE_FUZZ_COUNT); RIFFLE_FUZZ_SEED
 * replays a failing run (the seed is printed in the failure).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { DeltaTable } from '../../src/lakehouse/index.ts';
import { writeParquet } from '../../src/lakehouse/parquet-io.ts';
import type { Row, SchemaField } from '../../src/lakehouse/index.ts';

const COUNT = Number(process.env.RIFFLE_FUZZ_COUNT ?? 16);
// npm test runs a fixed seed (the same inputs every run, so it passes or fails for a reason); the tier, which sets
// RIFFLE_FUZZ_COUNT, draws a new seed each run to explore.
const SEED = Number(process.env.RIFFLE_FUZZ_SEED ?? (process.env.RIFFLE_FUZZ_COUNT === undefined ? 20261206 : Date.now() % 1_000_000));
const TIME_BOUND_MS = Number(process.env.RIFFLE_FUZZ_TIME_BOUND_MS ?? 20_000);

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'riffle-fuzz-lakehouse-')));
after(() => {
  if (!process.env.RIFFLE_FUZZ_KEEP) rmSync(dir, { recursive: true, force: true });
});

/** A small seeded PRNG (mulberry32), so a failing seed replays. */
function rng(seed: number): { int(n: number): number; pick<T>(xs: readonly T[]): T } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)] };
}

const FIELDS: SchemaField[] = [
  { name: 'id', type: 'long', nullable: false, metadata: {} },
  { name: 's', type: 'string', nullable: true, metadata: {} },
  { name: 'x', type: 'double', nullable: true, metadata: {} },
];
const rowsOf = (from: number, count: number): Row[] =>
  Array.from({ length: count }, (_, i) => ({ id: from + i, s: (from + i) % 7 === 0 ? null : `s${(from + i) % 13}`, x: (from + i) % 5 === 0 ? null : (from + i) * 0.5, p: `p${(from + i) % 2}` }));

/** Versions 0..5: five appends, checkpoints at 2 and 4, partitioned by p. */
async function baseTable(): Promise<string> {
  const path = join(dir, 'base');
  await DeltaTable.create(path, { schema: { id: 'long', s: 'string', x: 'double', p: 'string' }, partitionBy: ['p'], properties: { 'delta.checkpointInterval': '2' } });
  const t = await DeltaTable.open(path);
  for (let v = 0; v < 5; v++) await t.append(rowsOf(v * 300, 300));
  return path;
}

function filesUnder(root: string, keep: (rel: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (keep(relative(root, p))) out.push(p);
    }
  };
  walk(root);
  return out.sort();
}

const flip = (path: string, r: ReturnType<typeof rng>): void => {
  const bytes = readFileSync(path);
  const bit = r.int(bytes.length * 8);
  bytes[bit >> 3] ^= 1 << (bit & 7);
  writeFileSync(path, bytes);
};

type Expect = 'exact' | 'log' | 'refused';
interface Case { id: number; kind: 'table' | 'parquet'; path: string; /** The sentinel's folder: never to be opened. */ root: string; fields?: SchemaField[]; what: string; blame: string[]; expect: Expect }

const MUTATIONS = ['data-flip', 'data-truncate', 'checkpoint-flip', 'checkpoint-truncate', 'commit-line', 'commit-empty', 'commit-flip',
  'last-checkpoint', 'hostile-path', 'symlink', 'parquet-flip', 'parquet-truncate'] as const;
const BAD_LINES = ['null', '{}', '[]', '"text"', '42', '{"add":null}', '{"add":{"path":1}}', '{"remove":{}}', '{"metaData":{"id":""}}', '{"protocol":{"minReaderVersion":"x"}}', '{"add":{"pa', '\u0000\u0001'];

/** One damaged copy of the base table (or of a plain Parquet file), and what a correct read may give. */
function makeCase(id: number, base: string, plain: string, sentinel: string, r: ReturnType<typeof rng>): Case {
  const what = MUTATIONS[id % MUTATIONS.length];
  const caseDir = join(dir, `case-${id}`);
  if (what === 'parquet-flip' || what === 'parquet-truncate') {
    const path = join(caseDir, 'file.parquet');
    cpSync(plain, path);
    if (what === 'parquet-flip') flip(path, r);
    else truncateSync(path, r.int(statSync(path).size));
    return { id, kind: 'parquet', path, root: dirname(sentinel), fields: FIELDS, what, blame: ['file.parquet'], expect: 'exact' };
  }
  const table = join(caseDir, 'table');
  cpSync(base, table, { recursive: true });
  const log = join(table, '_delta_log');
  const data = filesUnder(table, (rel) => rel.endsWith('.parquet') && !rel.startsWith('_delta_log'));
  const checkpoints = filesUnder(log, (rel) => rel.includes('.checkpoint.'));
  const commits = filesUnder(log, (rel) => rel.endsWith('.json'));
  const c = { id, kind: 'table' as const, path: table, root: dirname(sentinel), what };
  switch (what) {
    case 'data-flip': case 'data-truncate': {
      const f = r.pick(data);
      if (what === 'data-flip') flip(f, r);
      else truncateSync(f, r.int(statSync(f).size));
      return { ...c, blame: [basename(f)], expect: 'exact' };
    }
    case 'checkpoint-flip': case 'checkpoint-truncate': {
      const f = r.pick(checkpoints);
      if (what === 'checkpoint-flip') flip(f, r);
      else truncateSync(f, r.int(statSync(f).size));
      return { ...c, blame: [basename(f)], expect: 'exact' }; // the commits are all there: the same table
    }
    case 'commit-line': case 'commit-empty': case 'commit-flip': {
      const f = r.int(2) === 0 ? commits[commits.length - 1] : r.pick(commits); // the last is read past every checkpoint
      if (what === 'commit-empty') truncateSync(f, 0);
      else if (what === 'commit-flip') flip(f, r);
      else {
        const lines = readFileSync(f, 'utf8').trimEnd().split('\n');
        lines[r.int(lines.length)] = r.pick(BAD_LINES);
        writeFileSync(f, `${lines.join('\n')}\n`);
      }
      // A commit a later checkpoint covers is not read: the read may succeed with the exact rows.
      return { ...c, blame: [basename(f)], expect: 'log' };
    }
    case 'last-checkpoint':
      writeFileSync(join(log, '_last_checkpoint'), r.pick(['', '{', 'null', '{"version":999}', '{"version":"x","size":-1}']));
      return { ...c, blame: [], expect: 'exact' };
    case 'hostile-path': {
      const latest = commits[commits.length - 1];
      const rel = relative(table, sentinel);
      const path = r.pick([rel, `./${rel}`, rel.replaceAll('/', '%2F'), rel.replaceAll('..', '%2E%2E'), `file://${sentinel}`, sentinel, `sub/../${rel}`, `file://localhost${sentinel}`]);
      const text = readFileSync(latest, 'utf8').replace(/"add":\{"path":"[^"]+"/, `"add":{"path":${JSON.stringify(path)}`);
      writeFileSync(latest, text);
      return { ...c, blame: [path.slice(0, 40)], expect: 'refused' };
    }
    case 'symlink': {
      const f = r.pick(data);
      rmSync(f);
      symlinkSync(sentinel, f);
      return { ...c, blame: [basename(f)], expect: 'refused' };
    }
  }
  throw new Error(`unknown mutation ${String(what)}`);
}

interface Outcome { id: number; ok?: { rows: number; sum: number }; error?: { name: string; code?: string; message: string }; outside: string[] }

/** Runs the cases in one child, one at a time; a case without an answer within the bound kills the child (a hang). */
async function runCases(cases: readonly Case[]): Promise<Map<number, Outcome | 'hang'>> {
  const out = new Map<number, Outcome | 'hang'>();
  let pending = [...cases];
  while (pending.length > 0) {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'lakehouse-read-worker.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout });
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => { clearTimeout(timer); timer = setTimeout(() => child.kill('SIGKILL'), TIME_BOUND_MS); };
    arm();
    for (const c of pending) child.stdin.write(`${JSON.stringify(c)}\n`);
    child.stdin.end();
    for await (const line of lines) {
      const o = JSON.parse(line) as Outcome;
      out.set(o.id, o);
      arm();
    }
    clearTimeout(timer);
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    const next = pending.filter((c) => !out.has(c.id));
    if (next.length > 0 && next.length === pending.length - (pending.length - next.length)) {
      out.set(next[0].id, 'hang'); // the case in flight when the child was killed
    }
    pending = next.filter((c) => !out.has(c.id));
  }
  return out;
}

test(`lakehouse fuzz: ${COUNT} damaged tables and files (seed ${SEED}) read within ${TIME_BOUND_MS} ms each, exactly or refused, never outside`, { timeout: 600_000 }, async () => {
  const r = rng(SEED);
  const base = await baseTable();
  const plain = join(dir, 'plain.parquet');
  writeFileSync(plain, await writeParquet(FIELDS, [
    Array.from({ length: 2000 }, (_, i) => BigInt(i)), Array.from({ length: 2000 }, (_, i) => (i % 3 ? `v${i % 17}` : null)), Array.from({ length: 2000 }, (_, i) => i / 4),
  ]));
  const sentinel = join(dir, 'sentinel', 'secret.parquet');
  cpSync(plain, sentinel);
  const cases = Array.from({ length: COUNT }, (_, i) => makeCase(i + 2, base, plain, sentinel, r));
  const reference: Case[] = [
    { id: 0, kind: 'table', path: base, root: dirname(sentinel), what: 'undamaged', blame: [], expect: 'exact' },
    { id: 1, kind: 'parquet', path: plain, root: dirname(sentinel), fields: FIELDS, what: 'undamaged', blame: [], expect: 'exact' },
  ];
  const outcomes = await runCases([...reference, ...cases]);
  const expected = new Map(reference.map((c) => {
    const o = outcomes.get(c.id);
    assert.ok(o !== 'hang' && o?.ok, `the undamaged ${c.kind} reads: ${JSON.stringify(o)}`);
    return [c.kind, o.ok];
  }));
  const failures: string[] = [];
  const tally = new Map<string, number>();
  for (const c of cases) {
    const o = outcomes.get(c.id);
    const tag = `case ${c.id} (${c.what}, seed ${SEED}${c.blame.length ? `, ${c.blame.join(' ')}` : ''})`;
    if (o === undefined || o === 'hang') { failures.push(`${tag}: no answer within ${TIME_BOUND_MS} ms (hang)`); continue; }
    if (o.outside.length > 0) failures.push(`${tag}: opened files outside the table: ${o.outside.join(', ')}`);
    if (o.ok) {
      const same = o.ok.rows === expected.get(c.kind)!.rows && o.ok.sum === expected.get(c.kind)!.sum;
      tally.set(`${c.what}: ${same ? 'same rows' : 'other rows'}`, (tally.get(`${c.what}: ${same ? 'same rows' : 'other rows'}`) ?? 0) + 1);
      if (c.expect === 'refused') failures.push(`${tag}: read ${o.ok.rows} rows instead of refusing`);
      if (c.expect === 'exact' && !same) failures.push(`${tag}: read changed rows (${o.ok.rows} rows, checksum ${o.ok.sum}) without an error`);
      continue;
    }
    const e = o.error!;
    tally.set(`${c.what}: ${e.code ?? e.name}`, (tally.get(`${c.what}: ${e.code ?? e.name}`) ?? 0) + 1);
    if (e.code === undefined || /^(TypeError|RangeError|SyntaxError|ReferenceError|Error)$/.test(e.name)) failures.push(`${tag}: not a RiffleError: ${e.name}: ${e.message}`);
    else if (c.blame.length > 0 && !c.blame.some((b) => e.message.includes(b)) && !/_delta_log|checkpoint/.test(e.message)
      && !(c.expect === 'log' && /referenced by the log of /.test(e.message))) { // a damaged add.path names a file that is not there
      failures.push(`${tag}: the error does not name the damaged file: ${e.message}`);
    }
  }
  if (process.env.RIFFLE_FUZZ_VERBOSE) console.log([...tally].sort().map(([k, v]) => `${v}\t${k}`).join('\n'));
  assert.deepEqual(failures, []);
});
