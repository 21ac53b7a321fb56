// End-to-end: `riffle models build` over examples/models as a process, twice (the second time with new data: the
// incremental models merge and replace what changed, and end equal to a build of all the data at once), then on bad
// data (tests fail, what lies downstream is skipped, exit 1, no stack trace), plus docs and freshness.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runModels, sourceFreshness, SqlSession } from '../../src/sql/index.ts';
import { DeltaTable } from '../../src/lakehouse/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = join(root, 'src/cli/main.ts');
const work = mkdtempSync(join(tmpdir(), 'riffle-models-e2e-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Outcome { code: number | null; stdout: string; stderr: string }

function riffle(args: string[]): Promise<Outcome> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(RIFFLE_|NO_COLOR$|FORCE_COLOR$)/.test(k)));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), main, ...args], { cwd: work, env: { ...env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end();
  });
}

function project(name: string): string {
  const dir = join(work, name);
  cpSync(join(root, 'examples/models'), dir, { recursive: true, filter: (src) => !src.includes('/target') });
  return dir;
}

async function table(dir: string, sql: string): Promise<unknown[][]> {
  const session = await SqlSession.open({ database: join(dir, 'target/dev.duckdb') });
  try {
    return (await session.query(sql)).rows.map((r) => [...r]);
  } finally {
    session.close();
  }
}

describe('riffle models build on examples/models', () => {
  const dir = join(work, 'shop');
  const first: { result?: Outcome; orders?: unknown[][] } = {};
  before(async () => {
    project('shop');
    first.result = await riffle(['models', 'build', '--project-dir', dir, '--json']);
    first.orders = await table(dir, 'select order_id, status from main.fct_orders order by order_id');
  });

  it('the first build runs seeds, models and tests (as_of 2024-01-03)', () => {
    const r = first.result as Outcome;
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.counts, { success: 16, error: 0, skipped: 0, pass: 23, warn: 0, fail: 0 });
    assert.equal(doc.ok, true);
    assert.deepEqual(first.orders, [[101, 'completed'], [102, 'shipped'], [103, 'placed'], [104, 'placed'], [105, 'placed']]);
  });

  it('the second build with new data merges changed orders and adds new ones; the result equals one build of all the data', async () => {
    const r = await riffle(['models', 'build', '--project-dir', dir, '--vars', '{as_of: "2024-01-06"}']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stderr, /SUCCESS incremental model fct_orders \(9 rows, 7 new\)/);
    assert.match(r.stdout, /SUCCESS=16 PASS=23 WARN=0 FAIL=0 ERROR=0 SKIP=0 TOTAL=39/);
    assert.deepEqual(await table(dir, 'select order_id, status from main.fct_orders order by order_id'), [
      [101, 'completed'], [102, 'completed'], [103, 'shipped'], [104, 'returned'], [105, 'placed'], [106, 'shipped'], [107, 'placed'], [108, 'placed'], [109, 'placed'],
    ]);
    const once = project('shop-once');
    const r2 = await runModels('build', { projectDir: once, vars: { as_of: '2024-01-06' } });
    assert.equal(r2.ok, true);
    for (const t of ['fct_orders', 'fct_daily_revenue', 'dim_customers', 'daily_revenue_overwrite']) {
      assert.deepEqual(await table(dir, `select * from main.${t} order by all`), await table(once, `select * from main.${t} order by all`), `${t}: incremental == full build`);
    }
    // insert_overwrite (Riffle's) and delete+insert give the same daily revenue.
    assert.deepEqual(await table(dir, 'select * from main.daily_revenue_overwrite order by all'), await table(dir, 'select * from main.fct_daily_revenue order by all'));
    // The delta model is a Delta table, read downstream through delta().
    const lake = await DeltaTable.open(join(dir, 'target/lake/orders'));
    assert.equal((await lake.read()).length, 9);
    assert.deepEqual(await table(dir, "select status, orders from main.revenue_by_status order by status"), [['completed', 2], ['placed', 4], ['returned', 1], ['shipped', 2]]);
  });

  it('docs writes the manifest and the lineage page', async () => {
    const r = await riffle(['models', 'docs', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    const manifest = JSON.parse(readFileSync(join(dir, 'target/manifest.json'), 'utf8'));
    assert.deepEqual(manifest.parent_map['model.fct_orders'].sort(), ['model.int_order_payments', 'model.int_order_status', 'model.stg_orders']);
    assert.ok(manifest.child_map['model.fct_orders'].includes('model.dim_customers'));
    const html = readFileSync(join(dir, 'target/index.html'), 'utf8');
    assert.match(html, /<svg[\s\S]*data-id="model.fct_orders"[\s\S]*<\/svg>/);
    assert.match(html, /data-from="model.fct_orders" data-to="model.dim_customers"/);
  });

  it('freshness judges the newest loaded_at_field against warn_after and error_after', async () => {
    const at = async (now: string) => (await sourceFreshness({ projectDir: dir, now: new Date(now) }))[0].status;
    assert.equal(await at('2024-01-07T00:00:00Z'), 'pass');
    assert.equal(await at('2024-01-08T00:00:00Z'), 'warn');
    const r = await riffle(['models', 'freshness', '--project-dir', dir, '--now', '2024-01-10T00:00:00Z']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /ERROR\s+shop.raw_order_events/);
  });
});

describe('riffle models on bad data and bad projects', () => {
  it('tests fail on bad data, downstream models are skipped, failing rows are stored, exit 1 without a stack trace', async () => {
    const dir = project('bad');
    appendFileSync(join(dir, 'seeds/raw_payments.csv'), '11,101,bitcoin,-500,2024-01-01\n');
    appendFileSync(join(dir, 'seeds/raw_orders.csv'), '110,99,2024-01-02\n');
    const r = await riffle(['models', 'build', '--project-dir', dir, '--json']);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.stdout);
    const status = Object.fromEntries(doc.results.map((x: { name: string; status: string }) => [x.name, x.status]));
    assert.equal(status['accepted_values_stg_payments_payment_method_credit_card__ban_304459eb'], 'fail');
    assert.equal(status['expression_is_true_stg_payments_amount_0'], 'fail');
    assert.equal(status['relationships_stg_orders_customer_id_ref_stg_customers___customer_id'], 'fail');
    assert.equal(status['fct_orders'], 'skipped');
    assert.equal(status['dim_customers'], 'skipped');
    assert.equal(status['stg_customers'], 'success');
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    // `models test` on what was built, with a selector: the failing rows of the relationships test.
    const t = await riffle(['models', 'test', '--project-dir', dir, '--select', 'stg_orders', '--json']);
    const rel = JSON.parse(t.stdout).results.find((x: { name: string }) => x.name.startsWith('relationships_stg_orders'));
    assert.equal(rel.failures, 1);
  });

  it('a missing ref names file, line and the closest model; exit non-zero without a stack trace', async () => {
    const dir = project('typo');
    const file = join(dir, 'models/marts/dim_customers.sql');
    cpSync(file, `${file}.orig`);
    const text = readFileSync(file, 'utf8').replace("ref('fct_orders')", "ref('fct_order')");
    (await import('node:fs')).writeFileSync(file, text);
    rmSync(`${file}.orig`);
    const r = await riffle(['models', 'build', '--project-dir', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /models\/marts\/dim_customers\.sql:8: ref\('fct_order'\) names no model or seed \(did you mean 'fct_orders'\?\)/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.ok(!existsSync(join(dir, 'target/dev.duckdb')), 'nothing ran');
  });
});
