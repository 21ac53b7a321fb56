// `riffle cdc setup|status|drop` against a real server (.ci/tiers/postgres.sh): the publication and slot created once,
// status with lag in bytes and time (an idle slot's oldest unconfirmed transaction; an active slot's flush lag),
// --json, the URL from the environment, the password never printed (output, errors), and exit codes. Skips without
// RIFFLE_PG_URL unless RIFFLE_INTEGRATION=1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { runCdcCommand } from '../../src/cli/cdc-command.ts';
import { serverUrl } from '../../src/cli/cdc-actions.ts';
import type { CliIO } from '../../src/cli/cli-io.ts';
import { ReplicationStream } from '../../src/io/postgres/replication-stream.ts';
import { parseLsn } from '../../src/io/postgres/pgoutput.ts';

const url = process.env.RIFFLE_PG_URL;
if (!url && process.env.RIFFLE_INTEGRATION === '1') throw new Error('RIFFLE_INTEGRATION=1 but RIFFLE_PG_URL is not set');
const skip = url ? false : 'needs RIFFLE_PG_URL (run .ci/tiers/postgres.sh)';
const id = randomUUID().replaceAll('-', '').slice(0, 10);
const schema = `riffle_cli_${id}`;
const slot = `riffle_cli_${id}`;
const pub = `riffle_cli_${id}`;
const ROOT = join(import.meta.dirname, '..', '..');
const PASSWORD = 'Sup3r-secret%pw';
let admin: pg.Client;

/** The server URL with a password (the tier's server trusts loopback, so any password connects). */
const withPassword = () => {
  const u = new URL(url!);
  u.password = encodeURIComponent(PASSWORD);
  return u.toString();
};

async function cdc(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (t) => void (out += `${t}\n`),
    err: (t) => void (err += `${t}\n`),
    progress: { isTTY: false, write: () => {} },
    env: { RIFFLE_PG_URL: url, ...env },
    cwd: ROOT,
  };
  try {
    return { code: await runCdcCommand(args, io), out, err };
  } catch (e) {
    return { code: 1, out, err: `${err}${(e as Error).message}` };
  }
}

before(async () => {
  if (!url) return;
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.orders (id bigint PRIMARY KEY, amount int)`);
});
after(async () => {
  if (!url || !admin) return;
  await admin.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]).catch(() => {});
  await admin.query(`DROP PUBLICATION IF EXISTS ${pub}`).catch(() => {});
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

test('riffle cdc: setup (idempotent) → status with lag in bytes and time → active slot → drop; --json; password never printed', { skip }, async () => {
  const setup = await cdc(['setup', '--url', withPassword(), '--publication', pub, '--slot', slot, '--tables', `${schema}.orders`, '--json']);
  assert.equal(setup.code, 0, setup.err);
  assert.ok(!setup.out.includes(PASSWORD) && !setup.out.includes(encodeURIComponent(PASSWORD)), setup.out);
  const made = JSON.parse(setup.out) as { slot: string; active: boolean; server: string; lagBytes: number };
  assert.deepEqual([made.slot, made.active, made.lagBytes], [slot, false, 0]);
  assert.match(made.server, /:\*\*\*@/);
  const { rows } = await admin.query('SELECT schemaname || \'.\' || tablename AS t FROM pg_publication_tables WHERE pubname = $1', [pub]);
  assert.deepEqual(rows.map((r) => r.t), [`${schema}.orders`]);
  assert.equal((await cdc(['setup', '--publication', pub, '--slot', slot])).code, 0, 'setup again: nothing to do');

  await admin.query(`INSERT INTO ${schema}.orders VALUES (1, 10)`);
  await new Promise((r) => setTimeout(r, 50));
  const status = await cdc(['status', '--slot', slot, '--publication', pub, '--json']);
  assert.equal(status.code, 0, status.err);
  const s = JSON.parse(status.out) as { active: boolean; lagBytes: number; lagMs: number; lagSource: string; confirmedLsn: string; currentLsn: string; walStatus: string };
  assert.equal(s.active, false);
  assert.ok(s.lagBytes > 0, `lag ${s.lagBytes} bytes`);
  assert.equal(s.lagSource, 'oldest_unconfirmed');
  assert.ok(s.lagMs >= 40 && s.lagMs < 60_000, `lag ${s.lagMs} ms`);
  assert.equal(s.walStatus, 'reserved');
  const table = await cdc(['status']);
  assert.match(table.out, new RegExp(`^${slot}\\s+no\\s+reserved`, 'm'));

  // A consumer connected: active; once it confirms the current LSN, no bytes pending.
  const stream = await ReplicationStream.start({ url: url!, slot, publication: pub, statusIntervalMs: 100 });
  try {
    stream.confirm(parseLsn(s.currentLsn));
    await new Promise((r) => setTimeout(r, 300));
    const active = JSON.parse((await cdc(['status', '--slot', slot, '--json'])).out) as { active: boolean; confirmedLsn: string };
    assert.deepEqual([active.active, active.confirmedLsn], [true, s.currentLsn]);
    const busy = await cdc(['drop', '--slot', slot]);
    assert.equal(busy.code, 1);
    assert.match(busy.err, /cdc drop \(slot .*\): 55006[\s\S]*hint: a consumer is connected/);
  } finally {
    await stream.close();
  }
  const idle = JSON.parse((await cdc(['status', '--slot', slot, '--publication', pub, '--json'])).out) as { lagMs: number; lagSource: string };
  assert.deepEqual([idle.lagMs, idle.lagSource], [0, 'none_pending']);

  const dropped = await cdc(['drop', '--slot', slot, '--publication', pub, '--json']);
  assert.deepEqual(JSON.parse(dropped.out), { slot, dropped: true, publication: pub });
  assert.equal((await admin.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [pub])).rowCount, 0);
  const gone = await cdc(['status', '--slot', slot]);
  assert.equal(gone.code, 1);
  assert.match(gone.err, /there is no replication slot/);
});

test('riffle cdc: errors name the server with the password redacted, from --url and from PGPASSWORD; exit codes', { skip }, async () => {
  const u = new URL(url!);
  u.port = '1';
  u.password = encodeURIComponent(PASSWORD);
  const refused = await cdc(['status', '--url', u.toString()]);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /cannot connect to postgres:\/\/.*:\*\*\*@127\.0\.0\.1:1\//);
  assert.ok(!refused.err.includes(PASSWORD) && !refused.err.includes(encodeURIComponent(PASSWORD)), refused.err);
  // The password from $PGPASSWORD, a database that does not exist: the error names the server, not the password.
  const missing = new URL(url!);
  missing.pathname = '/riffle_no_such_db';
  const env = { PGPASSWORD: PASSWORD };
  const noDb = await cdc(['status', '--url', missing.toString()], env);
  assert.equal(noDb.code, 1);
  assert.match(noDb.err, /riffle_no_such_db/);
  assert.ok(!noDb.err.includes(PASSWORD), noDb.err);

  // A real process: exit code 2 for a usage error, 1 for a server error, no stack trace, no password.
  const run = (args: string[], extra: Record<string, string> = {}) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'cdc', ...args], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, RIFFLE_PG_URL: '', DATABASE_URL: '', PGHOST: '', PGUSER: '', PGDATABASE: '', PGPORT: '', NO_COLOR: '1', RIFFLE_DEBUG: '', ...extra },
  });
  const usage = run(['status']);
  assert.equal(usage.status, 2, usage.stderr);
  assert.match(usage.stderr, /which server\?/);
  const failed = run(['status', '--slot', 'x'], { RIFFLE_PG_URL: u.toString() });
  assert.equal(failed.status, 1, failed.stderr);
  assert.ok(!failed.stderr.includes(PASSWORD) && !/\n\s+at /.test(failed.stderr), failed.stderr);
  const badSlot = run(['setup', '--publication', 'p', '--slot', 'Bad-Slot'], { RIFFLE_PG_URL: url! });
  assert.equal(badSlot.status, 2, badSlot.stderr);
  assert.match(badSlot.stderr, /not a valid replication slot name/);
});

test('riffle cdc: the server URL from --url, RIFFLE_PG_URL, DATABASE_URL or PG* variables', () => {
  assert.equal(serverUrl({ url: 'postgres://a@h/d' }, { RIFFLE_PG_URL: 'postgres://b@h/d' }), 'postgres://a@h/d');
  assert.equal(serverUrl({}, { RIFFLE_PG_URL: 'postgres://b@h/d', DATABASE_URL: 'postgres://c@h/d' }), 'postgres://b@h/d');
  assert.equal(serverUrl({}, { DATABASE_URL: 'postgres://c@h/d' }), 'postgres://c@h/d');
  assert.equal(serverUrl({}, { DATABASE_URL: 'postgres://c@h/d', PGPASSWORD: 'p w' }), 'postgres://c:p%20w@h/d');
  assert.equal(serverUrl({}, { PGHOST: 'db.example', PGPORT: '6543', PGUSER: 'u', PGDATABASE: 'shop' }), 'postgres://u@db.example:6543/shop');
  assert.equal(serverUrl({}, { PGHOST: '/run/postgresql', PGUSER: 'u' }), 'postgres://u@/u?host=%2Frun%2Fpostgresql');
  assert.throws(() => serverUrl({}, {}), /which server\?/);
  assert.throws(() => serverUrl({ url: 'mysql://x:secret@h/d' }, {}), (e: Error) => /must start with postgres:\/\//.test(e.message) && !e.message.includes('secret'));
});
