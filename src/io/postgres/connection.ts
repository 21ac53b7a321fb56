/**
 * Opens io.postgres connections: the driver loaded lazily, the session in UTC with ISO dates (see pg-values.ts for
 * why), and values parsed by io.postgres's one type mapping. Failures name the server (password redacted).
 */
import type { Client } from 'pg';
import { pgDriver } from './pg-module.ts';
import { PostgresError, redactUrl } from './pg-errors.ts';
import { textParser } from './pg-values.ts';

/** Session settings every io.postgres connection runs with. */
const SESSION = '-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=postgres -c extra_float_digits=3';

/** Opens a connection for `what` (e.g. `io.postgres.read(events)`). */
export async function openClient(url: string, what: string, extra: { replication?: 'database' } = {}): Promise<Client> {
  const pg = await pgDriver.load();
  const client = new pg.Client({
    connectionString: url,
    options: SESSION,
    application_name: 'riffle',
    ...(extra.replication ? { replication: extra.replication } : {}),
    types: {
      getTypeParser: ((oid: number, format?: string) => (format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : textParser(oid))) as never,
    },
  } as never);
  // An idle connection the server drops emits 'error': it must not crash the process; the next query reports it.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (cause) {
    await client.end().catch(() => {});
    throw new PostgresError(`${what}: cannot connect to ${redactUrl(url)}: ${(cause as Error).message}`, {
      cause,
      hint: 'check that the server runs and the URL (host, port, database, user) is right',
    });
  }
  return client;
}
