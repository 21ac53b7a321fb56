/**
 * Which metadata store to use, from one string (`--store`, or `RIFFLE_ORCHESTRATOR_STORE`): a directory for the
 * embedded journal store, or `postgres://user[:password]@host[:port]/database[?schema=name]` for PostgreSQL.
 * A malformed URL is refused here, before any work starts, with what is wrong and what is expected.
 * @example
 *   parseStoreSpec('postgres://riffle@db:5432/meta')   // { kind: 'postgres', ... database: 'meta', schema: 'public' }
 *   parseStoreSpec('.riffle/orchestrator')             // { kind: 'journal', dir: '.riffle/orchestrator' }
 *   const store = await openMetadataStore(spec);
 */
import { MetadataStoreError } from './errors.ts';
import { JournalStore } from './journal-store.ts';
import type { MetadataStore } from './metadata-store.ts';

export interface PostgresLocation {
  /** The URL pg connects with (without Riffle's own `schema` parameter). */
  connectionString: string;
  user: string;
  host: string;
  port: number;
  database: string;
  schema: string;
}

export type StoreSpec = { kind: 'journal'; dir: string } | ({ kind: 'postgres' } & PostgresLocation);

const EXPECTED = 'expected postgres://user[:password]@host[:port]/database[?schema=name]';

function bad(spec: string, what: string): MetadataStoreError {
  return new MetadataStoreError('STORE_URL_INVALID', `invalid metadata store URL '${spec}': ${what}`, { hint: `${EXPECTED}, or a directory for the embedded store` });
}

/** Reads a PostgreSQL URL; throws a STORE_URL_INVALID MetadataStoreError naming the problem. */
export function parsePostgresUrl(spec: string): PostgresLocation {
  let u: URL;
  try {
    u = new URL(spec);
  } catch {
    const authority = /^[^:]+:\/\/([^/?#]*)/.exec(spec)?.[1] ?? '';
    const port = /:([^:\]]*)$/.exec(authority.slice(authority.lastIndexOf('@') + 1))?.[1];
    throw bad(redact(spec), port !== undefined && (!/^\d{1,5}$/.test(port) || Number(port) > 65535)
      ? `port '${port}' is not a number from 1 to 65535`
      : 'not a URL (characters such as @ : / in the password must be percent-encoded)');
  }
  const shown = redact(spec);
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw bad(shown, `scheme '${u.protocol.replace(/:$/, '')}' is not postgres or postgresql`);
  if (u.hostname === '') throw bad(shown, 'no host');
  if (u.port !== '' && !(Number(u.port) >= 1 && Number(u.port) <= 65535)) throw bad(shown, `port '${u.port}' is not a number from 1 to 65535`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) throw bad(shown, database === '' ? 'no database name (the path after the host)' : `'${database}' is not a database name`);
  const schema = u.searchParams.get('schema') ?? 'public';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) throw bad(shown, `schema '${schema}' must be letters, digits and _ (not starting with a digit)`);
  for (const name of u.searchParams.keys()) {
    if (!['schema', 'sslmode', 'application_name', 'connect_timeout', 'options'].includes(name)) throw bad(shown, `unknown parameter '${name}' (known: schema, sslmode, application_name, connect_timeout, options)`);
  }
  const user = decodeURIComponent(u.username);
  if (user === '') throw bad(shown, 'no user (postgres://user@host/...)');
  u.searchParams.delete('schema');
  return { connectionString: u.toString(), user, host: u.hostname, port: u.port === '' ? 5432 : Number(u.port), database, schema };
}

/** Reads a store spec: a postgres URL, or a directory. Other URL schemes are refused. */
export function parseStoreSpec(spec: string): StoreSpec {
  if (spec.trim() === '') throw new MetadataStoreError('STORE_URL_INVALID', 'the metadata store location is empty', { hint: `pass --store <directory> or --store ${EXPECTED.replace('expected ', '')}` });
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(spec) || /^postgres(ql)?:/i.test(spec)) return { kind: 'postgres', ...parsePostgresUrl(spec) };
  return { kind: 'journal', dir: spec };
}

/**
 * Opens the store a spec names. `readOnly` applies to the journal store (PostgreSQL needs no lock for queries), and
 * `onWarning` receives what the journal store fixed on opening (a torn last record cut).
 */
export async function openMetadataStore(spec: StoreSpec | string, o: { readOnly?: boolean; onWarning?: (message: string) => void } = {}): Promise<MetadataStore> {
  const s = typeof spec === 'string' ? parseStoreSpec(spec) : spec;
  if (s.kind === 'journal') return JournalStore.open({ dir: s.dir, ...(o.readOnly && { readOnly: true }), ...(o.onWarning && { onWarning: o.onWarning }) });
  // Loaded on demand: the pg driver only when a PostgreSQL store is used.
  const { PostgresStore } = await import('./postgres-store.ts');
  return PostgresStore.connect(s.connectionString, { schema: s.schema });
}

/** `postgres://user@host:port/db` without the password. */
export function redactUrl(loc: PostgresLocation): string {
  return `postgres://${loc.user}@${loc.host}:${loc.port}/${loc.database}`;
}

function redact(spec: string): string {
  return spec.replace(/(\/\/[^:/@]*):[^@/]*@/, '$1:***@');
}
