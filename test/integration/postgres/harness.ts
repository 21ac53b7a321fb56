// Shared by the PostgreSQL tier's tests: where the server is (RIFFLE_PG_URL, set by .ci/tiers/postgres.sh), fresh
// schemas per test (dropped at the end), and the skip rule: without a URL these tests skip, unless
// RIFFLE_INTEGRATION=1 (as .ci/run sets), where a missing server is a failure.
import { randomUUID } from 'node:crypto';
import { PostgresStore } from '../../../src/orchestrator/postgres-store.ts';

export const pgUrl = process.env.RIFFLE_PG_URL;
export const required = process.env.RIFFLE_INTEGRATION === '1';
/** `{ skip }` for tests that need the server: false when it is configured. */
export const skip: string | false = pgUrl ? false : 'needs RIFFLE_PG_URL (run .ci/tiers/postgres.sh)';

const made: string[] = [];

/** A schema name no other test uses. */
export function freshSchema(prefix = 't'): string {
  const name = `riffle_${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  made.push(name);
  return name;
}

/** The URL of a fresh schema in the test database. */
export function freshUrl(prefix = 't'): string {
  const u = new URL(pgUrl!);
  u.searchParams.set('schema', freshSchema(prefix));
  return u.toString();
}

/** Drops the schemas the tests made. */
export async function dropSchemas(): Promise<void> {
  if (!pgUrl || made.length === 0) return;
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    for (const s of made.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(s)} CASCADE`);
  } finally {
    await client.end();
  }
}

export const connect = (schema = freshSchema()) => PostgresStore.connect(pgUrl!, { schema });
