// riffle server tables and bus: Delta tables under the project (list, describe with schema, history, files, a
// sample with 64-bit integers as strings; a path leading out refused; 404 for a folder that is no table), and a
// bus served by riffle bus serve (topics, subscriptions with backlog, riffle_bus_backlog in /metrics); 404 without
// a bus; 401 without a token.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bus as busIo } from '../io/index.ts';

const { openBus, startBusServer } = busIo;
import { DeltaTable } from '../lakehouse/index.ts';
import { ADMIN, call, makeProject } from './fixtures/test-server.ts';
import { startRiffleServer, type RiffleServer } from './riffle-server.ts';

const { project, dir, cleanup } = makeProject('server-tables');
const busDir = mkdtempSync(join(tmpdir(), 'riffle-server-bus-'));
let server: RiffleServer;
let bare: RiffleServer;
let bus: busIo.Bus;
let busServer: busIo.BusServer;

before(async () => {
  mkdirSync(join(project, 'warehouse'), { recursive: true });
  const table = await DeltaTable.create(join(project, 'warehouse/orders'), { schema: { id: 'long', amount: 'double' } });
  await table.append([{ id: 1, amount: 2.5 }, { id: 2, amount: 4 }]);
  await table.append([{ id: 3, amount: 1 }]);
  bus = await openBus({ dir: busDir });
  await bus.createTopic('orders');
  await bus.createSubscription('billing', { topic: 'orders' });
  await bus.publish('orders', [{ data: 'a' }, { data: 'b' }, { data: 'c' }]);
  busServer = await startBusServer({ bus, port: 0, token: 'bus-secret' });
  server = await startRiffleServer({ dir, projectDir: project, port: 0, adminToken: ADMIN, version: 'test', log: () => undefined, bus: busServer.url, busToken: 'bus-secret' });
  bare = await startRiffleServer({ dir: join(dir, '..', 'bare'), projectDir: project, port: 0, adminToken: ADMIN, version: 'test', log: () => undefined });
});
after(async () => {
  await server.close();
  await bare.close();
  await busServer.close();
  await bus.close();
  rmSync(busDir, { recursive: true, force: true });
  cleanup();
});

describe('riffle server tables', () => {
  it('lists, describes, and shows history, files and a sample', async () => {
    assert.deepEqual((await call<{ tables: string[] }>(server, 'GET', '/api/tables')).body.tables, ['warehouse/orders']);
    const d = await call<{ version: number; schema: Array<{ name: string; type: string }>; numFiles: number; numRecords: number }>(server, 'GET', '/api/tables/describe?path=warehouse/orders');
    assert.equal(d.status, 200, d.text);
    assert.deepEqual([d.body.version, d.body.schema.map((f) => [f.name, f.type]), d.body.numFiles, d.body.numRecords], [2, [['id', 'long'], ['amount', 'double']], 2, 3]);
    const h = await call<{ history: Array<{ version: number; operation: string }> }>(server, 'GET', '/api/tables/history?path=warehouse/orders&limit=2');
    assert.deepEqual(h.body.history.map((x) => x.version), [2, 1]);
    const f = await call<{ total: number; files: Array<{ path: string; size: number }> }>(server, 'GET', '/api/tables/files?path=warehouse/orders');
    assert.equal(f.body.total, 2);
    const s = await call<{ version: number; total: number; rows: Array<{ id: string; amount: number }> }>(server, 'GET', '/api/tables/sample?path=warehouse/orders&limit=5&version=1');
    assert.deepEqual([s.body.version, s.body.total, s.body.rows.map((r) => r.id).sort()], [1, 2, ['1', '2']]);
    assert.equal((await call(server, 'GET', '/api/tables/describe?path=../..')).status, 400);
    assert.equal((await call(server, 'GET', '/api/tables/describe?path=dags')).status, 404);
    assert.equal((await call(server, 'GET', '/api/tables/sample?path=warehouse/orders&limit=0')).status, 400);
    assert.equal((await call(server, 'GET', '/api/tables', { token: null })).status, 401);
  });
});

describe('riffle server bus', () => {
  it("shows the bus's topics and subscriptions with their backlog, and exports it", async () => {
    const t = await call<{ topics: Array<{ name: string; messages: number }> }>(server, 'GET', '/api/bus/topics');
    assert.equal(t.status, 200, t.text);
    assert.deepEqual(t.body.topics.map((x) => [x.name, x.messages]), [['orders', 3]]);
    const s = await call<{ subscriptions: Array<{ name: string; topic: string; backlogMessages: number }> }>(server, 'GET', '/api/bus/subscriptions?topic=orders');
    assert.deepEqual(s.body.subscriptions.map((x) => [x.name, x.topic, x.backlogMessages]), [['billing', 'orders', 3]]);
    assert.match((await call(server, 'GET', '/metrics', { token: null })).text, /^riffle_bus_backlog\{topic="orders",subscription="billing"\} 3$/m);
    const none = await call<{ error: { code: string } }>(bare, 'GET', '/api/bus/topics');
    assert.deepEqual([none.status, none.body.error.code], [404, 'NO_BUS']);
    assert.equal((await call(server, 'GET', '/api/bus/subscriptions', { token: null })).status, 401);
  });
});
