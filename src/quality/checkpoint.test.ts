// Checkpoints: validations of assets with suites, results stored with run ids and history, a data docs site, a
// webhook on failure (against a real local HTTP server), checkpoint files (YAML, GE's action_list) and the task gate.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { asset, checkpoint, checkpointTask, dataDocsEntries, expect, listResults, loadCheckpoint, QualityGateError, readStoredResult, runCheckpoint, saveSuite, suite } from './index.ts';

const good = 'id,status,amount\n1,new,10\n2,paid,20\n3,new,30\n';
const bad = 'id,status,amount\n1,new,10\n1,lost,-5\n3,new,\n';
const orders = suite('orders', [
  expect.columnValuesToBeUnique('id'),
  expect.columnValuesToBeInSet('status', ['new', 'paid']),
  expect.columnValuesToNotBeNull('amount'),
  expect.columnMinToBeBetween('amount', { min_value: 0 }),
]);

interface Received { body: Record<string, unknown>; headers: IncomingMessage['headers'] }

/** A local webhook receiver answering `status`. */
async function receiver(status = 200): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      received.push({ body: JSON.parse(text) as Record<string, unknown>, headers: req.headers });
      res.writeHead(status).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function withDir(f: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riffle-checkpoint-'));
    try {
      await f(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('a checkpoint stores results by suite/run/time/asset, builds data docs newest first, and calls the webhook only on failure', withDir(async (dir) => {
  writeFileSync(join(dir, 'good.csv'), good);
  writeFileSync(join(dir, 'bad.csv'), bad);
  const hook = await receiver();
  try {
    const actions = [
      { type: 'store_validation_result', store: join(dir, 'results') },
      { type: 'update_data_docs', site: join(dir, 'docs') },
      { type: 'webhook', url: hook.url, on: 'failure' },
    ] as const;
    const passing = await runCheckpoint(checkpoint('orders_daily', { asset: asset.file(join(dir, 'good.csv')), suite: orders, actions }), { runName: 'day-1', runTime: '2024-05-01T06:00:00Z' });
    assert.equal(passing.success, true);
    assert.deepEqual(passing.run_id, { run_name: 'day-1', run_time: '2024-05-01T06:00:00.000Z' });
    assert.equal(passing.action_failures, 0);
    assert.deepEqual(passing.actions, [{ action: 'webhook', ok: true, skipped: true, detail: { url: hook.url, on: 'failure' } }]);
    assert.equal(hook.received.length, 0);
    const stored = passing.run_results[0]!.actions[0]!;
    assert.equal(stored.detail!.path, join('orders', 'day-1', '20240501T060000.000Z-good.json'));

    const failing = await runCheckpoint(checkpoint('orders_daily', { asset: asset.file(join(dir, 'bad.csv')), suite: orders, actions }), { runName: 'day-2', runTime: '2024-05-02T06:00:00Z' });
    assert.equal(failing.success, false);
    assert.equal(hook.received.length, 1);
    const body = hook.received[0]!.body;
    assert.equal(body.event, 'checkpoint.failed');
    assert.equal(body.checkpoint, 'orders_daily');
    assert.equal(body.run_name, 'day-2');
    const v = (body.validations as Array<{ failed_expectations: string[]; data_asset: string }>)[0]!;
    assert.equal(v.data_asset, 'bad');
    assert.deepEqual(v.failed_expectations, ['expect_column_values_to_be_unique(id)', 'expect_column_values_to_be_in_set(status)', 'expect_column_values_to_not_be_null(amount)', 'expect_column_min_to_be_between(amount)']);
    assert.equal(hook.received[0]!.headers['content-type'], 'application/json');

    // History: newest first, per suite and per asset.
    const history = listResults(join(dir, 'results'), 'orders');
    assert.deepEqual(history.map((h) => [h.run_name, h.asset, h.success]), [['day-2', 'bad', false], ['day-1', 'good', true]]);
    assert.deepEqual(listResults(join(dir, 'results'), 'orders', { asset: 'good' }).map((h) => h.run_name), ['day-1']);
    const full = readStoredResult(join(dir, 'results'), history[0]!.path);
    assert.equal(full.statistics.unsuccessful_expectations, 4);
    assert.equal(full.meta.run_time, '2024-05-02T06:00:00.000Z');

    // Data docs: an index listing both runs newest first, linking one page per result (HTML and Markdown).
    const index = readFileSync(join(dir, 'docs', 'index.html'), 'utf8');
    assert.ok(index.indexOf('day-2') < index.indexOf('day-1'), 'newest first');
    assert.match(index, /2 validations, 1 failed/);
    const entries = dataDocsEntries(join(dir, 'docs'));
    assert.deepEqual(entries.map((e) => [e.run_name, e.success, e.checkpoint]), [['day-2', false, 'orders_daily'], ['day-1', true, 'orders_daily']]);
    for (const e of entries) {
      assert.ok(index.includes(`href="${e.page}"`));
      const page = readFileSync(join(dir, 'docs', e.page), 'utf8');
      assert.match(page, /href="\.\.\/\.\.\/\.\.\/index\.html"/);
      assert.ok(existsSync(join(dir, 'docs', e.page.replace(/\.html$/, '.md'))));
    }
    assert.match(readFileSync(join(dir, 'docs', 'index.md'), 'utf8'), /\| \*\*FAIL\*\* \| 2024-05-02T06:00:00.000Z \| day-2 \|/);
  } finally {
    await hook.close();
  }
}));

test('a failed webhook is reported and does not hide the validation outcome', withDir(async (dir) => {
  writeFileSync(join(dir, 'good.csv'), good);
  const hook = await receiver(500);
  try {
    const r = await runCheckpoint(checkpoint('cp', { asset: asset.file(join(dir, 'good.csv')), suite: orders, actions: [{ type: 'webhook', url: hook.url, on: 'always' }] }));
    assert.equal(r.success, true);
    assert.equal(r.action_failures, 1);
    assert.equal(r.actions[0]!.ok, false);
    assert.match(r.actions[0]!.error!, /HTTP 500/);
    assert.equal(hook.received[0]!.body.event, 'checkpoint.succeeded');
  } finally {
    await hook.close();
  }
  // Nobody listening: connection refused, reported.
  const closed = await receiver();
  await closed.close();
  writeFileSync(join(dir, 'bad.csv'), bad);
  const r = await runCheckpoint(checkpoint('cp', { asset: asset.file(join(dir, 'bad.csv')), suite: orders, actions: [{ type: 'webhook', url: closed.url }] }));
  assert.equal(r.success, false);
  assert.equal(r.action_failures, 1);
  assert.match(r.actions[0]!.error!, /ECONNREFUSED/);
}));

test('an unreadable asset fails its validation with the error; the other validations still run', withDir(async (dir) => {
  writeFileSync(join(dir, 'good.csv'), good);
  const r = await runCheckpoint(checkpoint('two', { validations: [{ asset: asset.file(join(dir, 'missing.csv')), suite: orders }, { asset: asset.file(join(dir, 'good.csv')), suite: orders }] }));
  assert.equal(r.success, false);
  assert.match(r.run_results[0]!.error!, /cannot validate missing: no file matches/);
  assert.equal(r.run_results[1]!.success, true);
}));

test('checkpoint files: YAML with paths relative to the file, a contract as the suite, and GE action_list entries', withDir(async (dir) => {
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'orders.csv'), good);
  saveSuite(orders, join(dir, 'orders.suite.yaml'));
  writeFileSync(join(dir, 'orders.contract.yaml'), 'dataContractSpecification: 1.1.0\nid: orders\ninfo: { title: Orders, version: 1.0.0 }\nmodels:\n  orders:\n    fields:\n      id: { type: long, required: true, unique: true }\n      amount: { type: double, minimum: 0 }\n');
  writeFileSync(join(dir, 'cp.yaml'), [
    'name: orders_daily',
    'validations:',
    '  - data_asset: data/orders.csv',
    '    suite: orders.suite.yaml',
    '  - data_asset: { path: data/orders.csv, name: orders_by_contract, types: text }',
    '    suite: { contract: orders.contract.yaml }',
    'action_list:',
    '  - name: store',
    '    action: { class_name: StoreValidationResultAction }',
    '  - name: docs',
    '    action: { class_name: UpdateDataDocsAction, site: site }',
  ].join('\n'));
  const cp = loadCheckpoint(join(dir, 'cp.yaml'));
  assert.deepEqual(cp.actions, [{ type: 'store_validation_result', store: join(dir, 'results') }, { type: 'update_data_docs', site: join(dir, 'site') }]);
  const r = await runCheckpoint(cp, { runName: 'r1' });
  assert.equal(r.success, true, JSON.stringify(r.run_results.map((v) => v.validation_result?.results.filter((x) => !x.success))));
  assert.deepEqual(r.run_results.map((v) => [v.data_asset, v.suite]), [['orders', 'orders'], ['orders_by_contract', 'Orders v1.0.0']]);
  assert.ok(existsSync(join(dir, 'site', 'index.html')));
  assert.throws(() => loadCheckpoint(join(dir, 'nope.yaml')), /cannot read: no such file/);
  writeFileSync(join(dir, 'bad.yaml'), 'name: x\ndata_asset: data/orders.csv\nsuite: orders.suite.yaml\nactions:\n  - webhook: { url: "ftp://x" }\n');
  assert.throws(() => loadCheckpoint(join(dir, 'bad.yaml')), /webhook needs an http\(s\) 'url'/);
  writeFileSync(join(dir, 'bad2.yaml'), 'name: x\nsuite: orders.suite.yaml\n');
  assert.throws(() => loadCheckpoint(join(dir, 'bad2.yaml')), /has no data_asset/);
}));

test('checkpointTask: a task body that returns the summary, or throws QUALITY_GATE_FAILED naming the failed expectations', withDir(async (dir) => {
  writeFileSync(join(dir, 'good.csv'), good);
  writeFileSync(join(dir, 'bad.csv'), bad);
  const store = join(dir, 'results');
  const logs: string[] = [];
  const ok = checkpointTask(checkpoint('gate', { asset: asset.file(join(dir, 'good.csv')), suite: orders, actions: [{ type: 'store_validation_result', store }] }));
  const summary = await ok({ logicalDate: new Date('2024-05-01T00:00:00Z'), log: (...a) => logs.push(a.join(' ')) });
  assert.equal(summary.success, true);
  assert.equal(summary.run_name, 'gate-20240501T000000Z');
  assert.match(logs[0]!, /checkpoint gate run gate-20240501T000000Z: passed/);
  const failing = checkpointTask(checkpoint('gate', { asset: asset.file(join(dir, 'bad.csv')), suite: orders, actions: [{ type: 'store_validation_result', store }] }));
  await assert.rejects(failing({ logicalDate: new Date('2024-05-02T00:00:00Z') }), (e: unknown) => {
    assert.ok(e instanceof QualityGateError);
    assert.equal(e.code, 'QUALITY_GATE_FAILED');
    assert.ok(e.failed.includes('bad: expect_column_values_to_be_unique(id)'));
    return true;
  });
  // The failed run was stored before the task failed.
  assert.deepEqual(listResults(store, 'orders').map((h) => [h.run_name, h.success]), [['gate-20240502T000000Z', false], ['gate-20240501T000000Z', true]]);
}));
