/**
 * The actions of `riffle cdc ...` (definitions in cdc-command.ts): find the server's URL (--url, $RIFFLE_PG_URL,
 * $DATABASE_URL, libpq's PG* variables), do one thing through io.postgres's CDC administration, and print a table or,
 * with --json, one JSON document. No output and no error message ever holds the password: URLs are printed redacted,
 * and any message that would quote the password has it replaced by `***`.
 */
import { postgres } from '../io/index.ts';
import { ExitCode, UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import type { Command } from './command-kit.ts';
import { formatTable } from './table.ts';

interface CdcOptions {
  url?: string;
  json?: boolean;
}

const json = (value: unknown): string => JSON.stringify(value, null, 2);

/**
 * The server URL of this command line: --url, $RIFFLE_PG_URL, $DATABASE_URL, or one made of libpq's variables
 * (PGHOST — a host or a socket directory —, PGPORT, PGUSER, PGPASSWORD, PGDATABASE).
 */
export function serverUrl(o: CdcOptions, env: NodeJS.ProcessEnv): string {
  const given = [o.url, env.RIFFLE_PG_URL, env.DATABASE_URL].find((u) => u !== undefined && u.trim() !== '');
  if (given !== undefined) {
    const url = given.trim();
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new UsageError(`the server URL must start with postgres:// (got ${postgres.redactUrl(url) === '(unparsable URL)' ? 'an unparsable URL' : postgres.redactUrl(url)})`, { hint: 'e.g. --url postgres://user@127.0.0.1:5432/mydb (password in $PGPASSWORD or the URL)' });
    }
    // A password in the URL wins; otherwise libpq's PGPASSWORD applies, as psql does.
    return withEnvPassword(url, env);
  }
  const host = env.PGHOST?.trim();
  if (!host && !env.PGDATABASE && !env.PGUSER && !env.PGPORT) {
    throw new UsageError('which server? no --url, $RIFFLE_PG_URL, $DATABASE_URL or PG* variables', { hint: 'pass --url postgres://user@host:port/database or set RIFFLE_PG_URL' });
  }
  const user = env.PGUSER ?? env.USER ?? 'postgres';
  const password = env.PGPASSWORD ? `:${encodeURIComponent(env.PGPASSWORD)}` : '';
  const database = encodeURIComponent(env.PGDATABASE ?? user);
  const port = env.PGPORT ? `:${env.PGPORT}` : '';
  const auth = `${encodeURIComponent(user)}${password}@`;
  if (host?.startsWith('/')) return `postgres://${auth}${port ? `localhost${port}` : ''}/${database}?host=${encodeURIComponent(host)}`;
  return `postgres://${auth}${host || 'localhost'}${port}/${database}`;
}

function withEnvPassword(url: string, env: NodeJS.ProcessEnv): string {
  if (!env.PGPASSWORD) return url;
  try {
    const u = new URL(url);
    if (u.password || !u.username) return url;
    u.password = encodeURIComponent(env.PGPASSWORD);
    return u.toString();
  } catch {
    return url;
  }
}

/** The secrets a message must never show: the URL's password (raw and percent-encoded) and $PGPASSWORD. */
function secretsOf(url: string, env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>();
  try {
    const p = new URL(url).password;
    if (p) { out.add(p); out.add(decodeURIComponent(p)); }
  } catch { /* an unparsable URL fails elsewhere */ }
  if (env.PGPASSWORD) out.add(env.PGPASSWORD);
  return [...out].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

/** Runs `fn` with the server's URL; any error's message has the password replaced by `***`. */
async function withServer(c: Command, io: CliIO, fn: (url: string, o: CdcOptions) => Promise<number>): Promise<number> {
  const o = c.optsWithGlobals() as CdcOptions;
  const url = serverUrl(o, io.env);
  try {
    return await fn(url, o);
  } catch (e) {
    const secrets = secretsOf(url, io.env);
    if (e instanceof Error && secrets.length > 0) {
      for (const s of secrets) e.message = e.message.replaceAll(s, '***');
      if (e.stack) for (const s of secrets) e.stack = e.stack.replaceAll(s, '***');
    }
    throw e;
  }
}

function listOption(value: string | undefined, flag: string): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`${flag} needs at least one name (got '${value}')`, { hint: 'e.g. --tables public.orders,public.customers' });
  return items;
}

const statusJson = (s: postgres.SlotStatus) => ({
  slot: s.slot, ...(s.publication !== undefined ? { publication: s.publication } : {}), active: s.active, walStatus: s.walStatus,
  confirmedLsn: s.confirmedLsn, currentLsn: s.currentLsn, lagBytes: s.lagBytes, lagMs: s.lagMs, lagSource: s.lagSource,
});

function statusTable(statuses: readonly postgres.SlotStatus[]): string {
  return formatTable(
    ['SLOT', 'ACTIVE', 'WAL', 'CONFIRMED LSN', 'CURRENT LSN', 'LAG BYTES', 'LAG TIME'],
    statuses.map((s) => [s.slot, s.active ? 'yes' : 'no', s.walStatus ?? '', s.confirmedLsn ?? '', s.currentLsn, s.lagBytes, s.lagMs === null ? '' : formatLag(s.lagMs)]),
  );
}

/** 250 → '250ms', 12500 → '12.5s', 600000 → '10m 0s'. */
export function formatLag(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** `riffle cdc setup`. */
export async function setupAction(c: Command, io: CliIO): Promise<number> {
  return withServer(c, io, async (url, o) => {
    const { publication, slot, tables } = c.opts() as { publication: string; slot: string; tables?: string };
    const list = listOption(tables, '--tables');
    const status = await postgres.setupCdc(url, { publication, slot, ...(list ? { tables: list } : {}) });
    if (o.json) io.out(json({ server: postgres.redactUrl(url), publication, ...statusJson(status) }));
    else io.out(`riffle cdc: publication ${publication} (${list ? list.join(', ') : 'all tables'}) and slot ${slot} ready on ${postgres.redactUrl(url)}\n${statusTable([status])}`);
    return ExitCode.ok;
  });
}

/** `riffle cdc status`. */
export async function statusAction(c: Command, io: CliIO): Promise<number> {
  return withServer(c, io, async (url, o) => {
    const { slot, publication } = c.opts() as { slot?: string; publication?: string };
    const names = slot !== undefined ? [slot] : await postgres.logicalSlots(url);
    const statuses: postgres.SlotStatus[] = [];
    for (const name of names) {
      const s = await postgres.slotStatus(url, name, publication !== undefined ? { publication } : {});
      if (s) statuses.push(s);
      else if (slot !== undefined) throw new postgres.PostgresError(`cdc status: there is no replication slot '${slot}' on ${postgres.redactUrl(url)}`, { hint: 'riffle cdc status (without --slot) lists the slots; riffle cdc setup creates one' });
    }
    if (o.json) io.out(json(slot !== undefined ? statusJson(statuses[0]!) : { slots: statuses.map(statusJson) }));
    else io.out(statuses.length === 0 ? `no logical replication slots on ${postgres.redactUrl(url)}` : statusTable(statuses));
    return ExitCode.ok;
  });
}

/** `riffle cdc drop`. */
export async function dropAction(c: Command, io: CliIO): Promise<number> {
  return withServer(c, io, async (url, o) => {
    const { slot, publication } = c.opts() as { slot: string; publication?: string };
    const existed = (await postgres.slotStatus(url, slot)) !== undefined;
    await postgres.dropCdc(url, { slot, ...(publication !== undefined ? { publication } : {}) });
    if (o.json) io.out(json({ slot, dropped: existed, ...(publication !== undefined ? { publication } : {}) }));
    else io.out(`riffle cdc: ${existed ? `dropped slot ${slot}` : `no slot ${slot} (nothing to drop)`}${publication !== undefined ? `; dropped publication ${publication} if it existed` : ''}`);
    return ExitCode.ok;
  });
}
