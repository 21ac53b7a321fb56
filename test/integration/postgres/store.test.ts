// The PostgreSQL metadata store against a real server: the conformance suite the journal store passes, plus what
// only a shared store has (migrations, concurrent claims from several connections, URL and connection errors).
import assert from 'node:assert/strict';
import { after, describe, it, test } from 'node:test';
import { MetadataStoreError, parseStoreSpec } from '../../../src/orchestrator/index.ts';
import { runFixture, runMetadataStoreSuite, tiFixture } from '../../../src/orchestrator/metadata-store-suite.ts';
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
          const claimed = await s.claimTaskInstances(keys, `sched-${i}`, 7);
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
