/**
 * Quality benchmark: a 20-expectation suite over N generated rows in one pass (rows/s on one core), and Great
 * Expectations 0.18 (pandas) on the same rows when its venv exists (test/integration/quality/setup.sh).
 *   node --import tsx bench/quality.ts [--rows=2000000] [--runs=3] [--no-peer]
 * Riffle's figure is the best of `runs` validations of the same rows in this process (each a fresh one-pass
 * accumulator); all runs are printed.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, suite, validate, type ValidationResult } from '../src/quality/index.ts';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const N = Number(arg('rows') ?? 2_000_000);
const RUNS = Math.max(1, Number(arg('runs') ?? 3));
const peer = !process.argv.includes('--no-peer');
const STATUSES = ['pending', 'confirmed', 'shipped', 'delivered', 'cancelled'];
const COUNTRIES = Array.from({ length: 20 }, (_, i) => `C${i}`);

type Order = { id: number; user: string; amount: number | null; discount: number; qty: number; status: string; country: string; email: string };

function generate(n: number): Order[] {
  let s = 7;
  const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const rows: Order[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const amount = Math.round(Math.exp(r() * 7) * 100) / 100;
    rows[i] = { id: i, user: `u${i % 50000}`, amount: i % 1000 === 0 ? null : amount, discount: Math.round(amount * 10 * r()) / 100, qty: 1 + (i % 10), status: STATUSES[i % 5]!, country: COUNTRIES[(i * 7) % 20]!, email: `user${i % 50000}@example.com` };
  }
  return rows;
}

const s = suite('bench', [
  expect.tableRowCountToBeBetween({ min_value: 1 }),
  expect.tableColumnsToMatchSet(['id', 'user', 'amount', 'discount', 'qty', 'status', 'country', 'email']),
  expect.columnValuesToNotBeNull('id'),
  expect.columnValuesToBeUnique('id'),
  expect.columnValuesToNotBeNull('amount', { mostly: 0.99 }),
  expect.columnValuesToBeBetween('amount', { min_value: 0, max_value: 10000 }),
  expect.columnValuesToBeBetween('qty', { min_value: 1, max_value: 10 }),
  expect.columnValuesToBeInSet('status', STATUSES),
  expect.columnValuesToBeInSet('country', COUNTRIES),
  expect.columnValuesToMatchRegex('email', '^[a-z0-9]+@example\\.com$'),
  expect.columnValueLengthsToBeBetween('user', { min_value: 2, max_value: 6 }),
  expect.columnMeanToBeBetween('amount', { min_value: 100, max_value: 200 }),
  expect.columnStdevToBeBetween('amount', { min_value: 0 }),
  expect.columnMedianToBeBetween('amount', { min_value: 0 }),
  expect.columnMinToBeBetween('amount', { min_value: 0 }),
  expect.columnMaxToBeBetween('amount', { max_value: 1e6 }),
  expect.columnSumToBeBetween('qty', { min_value: 0 }),
  expect.columnUniqueValueCountToBeBetween('country', { min_value: 20, max_value: 20 }),
  expect.columnDistinctValuesToBeInSet('status', STATUSES),
  expect.columnPairValuesAToBeGreaterThanB('amount', 'discount', { or_equal: true, mostly: 0.99 }),
]);

console.log(`generating ${N.toLocaleString()} rows...`);
const rows = generate(N);
validate(rows.slice(0, 10_000), s); // warm-up
let riffleMs = Infinity;
let result!: ValidationResult;
const times: string[] = [];
for (let run = 0; run < RUNS; run++) {
  const t0 = performance.now();
  result = validate(rows, s);
  const ms = performance.now() - t0;
  times.push((ms / 1000).toFixed(2));
  riffleMs = Math.min(riffleMs, ms);
}
console.log(`riffle runs (s): ${times.join(', ')}; rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB (rows included)`);
const ok = result.results.filter((r) => r.success).length;
console.log(`riffle: ${s.expectations.length} expectations, one pass (best of ${RUNS}): ${(riffleMs / 1000).toFixed(2)} s, ${Math.round(N / (riffleMs / 1000)).toLocaleString()} rows/s (${ok}/${result.results.length} passed, approximate=${result.meta.approximate})`);

const python = join(process.env.RIFFLE_CACHE ?? join(homedir(), '.cache', 'riffle'), 'py-gx', 'bin', 'python');
const table: string[][] = [['engine', 'rows', 'validate (s)', 'rows/s']];
table.push(['riffle (1 core)', String(N), (riffleMs / 1000).toFixed(2), Math.round(N / (riffleMs / 1000)).toLocaleString()]);
if (peer && existsSync(python)) {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-quality-bench-'));
  const csv = join(dir, 'rows.csv');
  const out = createWriteStream(csv);
  out.write('id,user,amount,discount,qty,status,country,email\n');
  for (let i = 0; i < N; i += 10_000) out.write(rows.slice(i, i + 10_000).map((r) => `${r.id},${r.user},${r.amount ?? ''},${r.discount},${r.qty},${r.status},${r.country},${r.email}`).join('\n') + '\n');
  await new Promise<void>((res) => out.end(res));
  const script = `
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import great_expectations as ge, pandas as pd
df = ge.from_pandas(pd.read_csv(sys.argv[1]))
suite = json.loads(sys.stdin.read())
t = time.perf_counter()
ok = 0
for e in suite:
    r = getattr(df, e["expectation_type"])(**e["kwargs"])
    ok += bool(r.success)
print(json.dumps({"seconds": time.perf_counter() - t, "passed": ok}))
`;
  const run = spawnSync(python, ['-c', script, csv], { input: JSON.stringify(s.expectations), encoding: 'utf8', maxBuffer: 1 << 24 });
  rmSync(dir, { recursive: true, force: true });
  if (run.status === 0) {
    const gx = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { seconds: number; passed: number };
    console.log(`great expectations 0.18 (pandas): ${gx.seconds.toFixed(2)} s, ${Math.round(N / gx.seconds).toLocaleString()} rows/s (${gx.passed}/${s.expectations.length} passed; CSV load excluded)`);
    table.push(['great expectations (pandas)', String(N), gx.seconds.toFixed(2), Math.round(N / gx.seconds).toLocaleString()]);
    table.push(['ratio', '', `${(gx.seconds / (riffleMs / 1000)).toFixed(1)}x`, '']);
  } else console.log(`great expectations peer failed: ${run.stderr.slice(-500)}`);
} else if (peer) console.log('great expectations peer skipped: run test/integration/quality/setup.sh');
const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
for (const r of table) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
