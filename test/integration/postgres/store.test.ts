// The PostgreSQL metadata store against a real server: the conformance suite the journal store passes, plus what
// only a shared store has (migrations, concurrent claims from several connections, URL and connection errors).
import assert from 'node:assert/strict';
import { after, describe, it, test } from 'node:test';
import { MetadataStoreError, parseStoreSpec } from '../../../src/orchestrator/index.ts';
import { claimRequest, runFixture, runMetadataStoreSuite, tiFixture } from '../../../src/orchestrator/metadata-store-suite.ts';
import { PostgresStore } from '../../../src/orchestrator/postgres-store.ts';
import { connect, dropSchemas, freshSchema, pgUrl, required, skip } from './harness.ts';

after(dropSchemas);

test('a PostgreSQL server is configured when integration tests are required', { skip: required ? false : 'only checked with RIFFLE_INTEGRATION=1' }, () => {
  assert.ok(pgUrl, 'RIFFLE_PG_URL is not set: .ci/tiers/postgres.sh sets it after starting the server');
});

if (pgUrl) {
  runMetadataStoreSuite('postgres store', () => connect(), {
    reopen: async (s) => {
      const schema = (s as unknown as { location: string }).location.match(/\(schema (\w+)\)$/)![1]!;
      await s.close();
      return connect(schema);
    },
  });
}

describe('PostgresStore specifics', () => {
  it('creates its schema once, records the version, and opens it again without migrating', { skip }, async () => {
    const schema = freshSchema('mig');
    const [a, b] = await Promise.all([connect(schema), connect(schema)]); // concurrent first opens: one migrates
    await a.close();
    await b.close();
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    try {
      const { rows } = await c.query(`SELECT version FROM ${schema}.riffle_schema_version ORDER BY version`);
      assert.deepEqual(rows.map((r) => r.version), Array.from({ length: PostgresStore.schemaVersion }, (_, i) => i + 1));
      await c.query(`INSERT INTO ${schema}.riffle_schema_version VALUES (999, 0)`);
    } finally {
      await c.end();
    }
    await assert.rejects(connect(schema), (e: unknown) => e instanceof MetadataStoreError && e.code === 'STORE_TOO_NEW' && /schema version 999/.test(e.message));
  });

  it('never hands the same instance to two claimers racing on separate connections', { skip }, async () => {
    const schema = freshSchema('race');
    const stores = await Promise.all(Array.from({ length: 4 }, () => connect(schema)));
    try {
      const keys = Array.from({ length: 200 }, (_, i) => ({ dagId: 'd', runId: 'r', taskId: `t${i}`, mapIndex: -1 }));
      await stores[0]!.createTaskInstances(keys.map((k) => tiFixture(k, { state: 'scheduled' })));
      const got: string[][] = stores.map(() => []);
      // Each claimer takes small batches of the same key list until nothing is left.
      await Promise.all(stores.map(async (s, i) => {
        for (;;) {
          const claimed = await s.claimTaskInstances(keys.map((k) => claimRequest(k)), `sched-${i}`, { limit: 7, pools: { default_pool: 1000 } });
          if (claimed.length === 0) return;
          got[i]!.push(...claimed.map((t) => t.taskId));
          assert.ok(claimed.every((t) => t.owner === `sched-${i}` && t.state === 'queued'));
        }
      }));
      const all = got.flat();
      assert.equal(all.length, 200, 'every instance claimed');
      assert.equal(new Set(all).size, 200, 'none claimed twice');
      const owners = await stores[0]!.listTaskInstances({ dagId: 'd', states: ['queued'] });
      for (const [i, list] of got.entries()) assert.equal(owners.filter((t) => t.owner === `sched-${i}`).length, list.length);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('keeps pools and DAG/task limits across claimers on separate connections, and upgrades a version-1 schema', { skip }, async () => {
    // Six stores (their own connection pools) race in rounds over the same instances; each round frees what the
    // last one claimed. Each claim counts and claims in one transaction under the store's claim lock, so the
    // claimers never overshoot together (without it, claimers that count at the same instant each fill the pool).
    const schema = freshSchema('limits');
    const stores = await Promise.all(Array.from({ length: 6 }, () => connect(schema)));
    try {
      const keys = Array.from({ length: 120 }, (_, i) => ({ dagId: i % 3 === 0 ? 'limited' : 'd', runId: `r${i % 7}`, taskId: `t${i % 4}`, mapIndex: i }));
      await stores[0]!.createTaskInstances(keys.map((k) => tiFixture(k, { state: 'scheduled' })));
      const reqs = keys.map((k) => claimRequest(k, k.dagId === 'limited' ? { pool: 'db', maxActiveTasks: 3, maxActiveInstances: 2 } : { pool: 'db', poolSlots: 1 + (k.mapIndex % 2) }));
      const pools = { default_pool: 128, db: 4 };
      let rounds = 0;
      for (let done = 0; done < keys.length; rounds++) {
        assert.ok(rounds < 120, 'claims make progress');
        const got = (await Promise.all(stores.map((s, i) => s.claimTaskInstances(reqs, `sched-${i}`, { limit: 2, pools })))).flat();
        assert.ok(got.length > 0, `round ${rounds} claimed something`);
        assert.equal(new Set(got.map((t) => t.mapIndex)).size, got.length, 'none claimed twice');
        const active = await stores[0]!.listTaskInstances({ states: ['queued'] });
        assert.equal(active.length, got.length);
        assert.ok(active.reduce((n, t) => n + t.poolSlots, 0) <= 4, `round ${rounds}: ${JSON.stringify(active.map((t) => [t.dagId, t.taskId, t.poolSlots, t.owner]))}`);
        const limited = active.filter((t) => t.dagId === 'limited');
        assert.ok(limited.length <= 3, `round ${rounds}: ${limited.length} instances of dag 'limited' (maxActiveTasks 3)`);
        for (const t of ['t0', 't1', 't2', 't3']) assert.ok(limited.filter((x) => x.taskId === t).length <= 2, `round ${rounds}: limited.${t} over maxActiveInstances 2`);
        await Promise.all(active.map((t) => stores[1]!.updateTaskInstance(t, { state: 'success' }, { states: ['queued'] })));
        done += got.length;
      }
      assert.ok(rounds >= 30, `the pool of 4 slots took ${rounds} rounds for 120 instances`);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
    // A database made by the first version of the schema (no pool columns) is migrated on open: its queued and
    // running instances count as one slot of default_pool.
    const old = freshSchema('v1');
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    try {
      const first = await connect(old);
      await first.createTaskInstances([tiFixture({ dagId: 'd', runId: 'r', taskId: 'busy', mapIndex: -1 }, { state: 'running' }), tiFixture({ dagId: 'd', runId: 'r', taskId: 'next', mapIndex: -1 }, { state: 'scheduled' })]);
      await first.close();
      await c.query(`ALTER TABLE ${old}.riffle_task_instance DROP COLUMN pool, DROP COLUMN pool_slots`);
      await c.query(`DELETE FROM ${old}.riffle_schema_version WHERE version > 1`);
    } finally {
      await c.end();
    }
    const upgraded = await connect(old);
    try {
      assert.equal((await upgraded.getTaskInstance({ dagId: 'd', runId: 'r', taskId: 'busy', mapIndex: -1 }))?.pool, 'default_pool');
      const next = claimRequest({ dagId: 'd', runId: 'r', taskId: 'next', mapIndex: -1 });
      assert.deepEqual(await upgraded.claimTaskInstances([next], 'me', { limit: 1, pools: { default_pool: 1 } }), [], 'the running instance holds the only slot');
      assert.equal((await upgraded.claimTaskInstances([next], 'me', { limit: 1, pools: { default_pool: 2 } })).length, 1);
    } finally {
      await upgraded.close();
    }
  });

  it('creates thousands of instances in one call and keeps runs unique under concurrent creation', { skip }, async () => {
    const s1 = await connect();
    try {
      const keys = Array.from({ length: 5000 }, (_, i) => ({ dagId: 'big', runId: 'r', taskId: `t${i % 1000}`, mapIndex: Math.floor(i / 1000) }));
      await s1.createTaskInstances(keys.map((k) => tiFixture(k)));
      assert.equal((await s1.listTaskInstances({ dagId: 'big', runId: 'r' })).length, 5000);
      const created = await Promise.all(Array.from({ length: 8 }, (_, i) => s1.createDagRun(runFixture('big', 0, { runId: `attempt-${i}` }))));
      assert.equal(created.filter(Boolean).length, 1, 'one run per logical date, whoever wins');
    } finally {
      await s1.close();
    }
  });

  it('refuses bad URLs before connecting, and says why a connection failed', async () => {
    const invalid = (spec: string, pattern: RegExp) => assert.throws(() => parseStoreSpec(spec), (e: unknown) => e instanceof MetadataStoreError && e.code === 'STORE_URL_INVALID' && pattern.test(e.message));
    invalid('postgres://riffle@localhost:5432/', /no database name/);
    invalid('postgres://riffle@localhost:99999/db', /port '99999'/);
    invalid('postgres://riffle@localhost/db?schema=drop table', /schema 'drop table'/);
    invalid('postgres://riffle@localhost/db?colour=red', /unknown parameter 'colour'/);
    invalid('mysql://riffle@localhost/db', /scheme 'mysql'/);
    invalid('postgres://:secret@localhost/db', /no user/);
    assert.throws(() => parseStoreSpec('postgres://u:hunter2@/db'), (e: unknown) => e instanceof Error && !e.message.includes('hunter2'));
    assert.deepEqual(parseStoreSpec('.riffle/orchestrator'), { kind: 'journal', dir: '.riffle/orchestrator' });
    assert.equal((parseStoreSpec('postgresql://a@h:6543/db?schema=x') as { schema: string; port: number }).schema, 'x');
    // Port 1 on loopback: nothing listens there.
    await assert.rejects(PostgresStore.connect('postgres://riffle:pw@127.0.0.1:1/nowhere', { connectTimeoutMs: 2000 }), (e: unknown) =>
      e instanceof MetadataStoreError && e.code === 'STORE_UNREACHABLE' && /cannot open the PostgreSQL metadata store at postgres:\/\/riffle@127\.0\.0\.1:1\/nowhere/.test(e.message) && !e.message.includes(':pw@'));
  });
});
