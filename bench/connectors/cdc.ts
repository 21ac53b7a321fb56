/**
 * CDC benchmark (`npm run bench:connectors -- --only cdc`): Riffle's io.postgres.changes against PostgreSQL's own
 * `pg_recvlogical`, on the same server, the same workload, in the same run. Both read pgoutput (proto_version 1) from
 * their own slot, created before the workload, so both read the same WAL.
 *
 * Phases:
 *   catch-up  the workload (N changes: N/2 inserts, N/4 updates, N/4 deletes, in transactions of --tx rows) is
 *             committed first; then each consumer reads its slot to the WAL position current at the end:
 *             pg_recvlogical (--endpos, bytes to /dev/null: the wire protocol and nothing else), Riffle's reader
 *             (decoded into Debezium-shaped events, transactions assembled: `until: 'caughtUp'`), and a Riffle
 *             pipeline (io.postgres.changes → a sink counting events). Changes per second of each.
 *   live      the workload runs at --rate changes/s for --seconds while pg_recvlogical and Riffle's reader stream:
 *             Riffle's lag per transaction (commit time → the event returned by the reader, p50/p99), and for both
 *             the server's view, `pg_stat_replication.write_lag` (status updates every second for both), sampled
 *             every 200 ms.
 *
 * The server: $RIFFLE_PG_URL (with wal_level=logical), else a throwaway one started like .ci/tiers/postgres.sh does
 * (Debian's packages; as root through the postgres user).
 *
 *   node --import tsx bench/connectors/cdc.ts [--changes 200000] [--tx 100] [--rate 20000] [--seconds 10] [--json]
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Pipeline, writeTo, type Sink } from '../../src/index.ts';
import { changes, PostgresChangesSource } from '../../src/io/postgres/index.ts';

const args = process.argv.slice(2);
const value = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const CHANGES = value('changes', 200_000);
const TX = value('tx', 100);
const RATE = value('rate', 20_000);
const SECONDS = value('seconds', 10);
const JSON_OUT = args.includes('--json');
const log = (s: string) => { if (!JSON_OUT) console.log(s); else console.error(s); };

// ---- the server

function pgBin(name: string): string {
  const dirs = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)).map((v) => `/usr/lib/postgresql/${v}/bin`) : [];
  for (const d of dirs) if (existsSync(join(d, name))) return join(d, name);
  return name;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A throwaway server (as .ci/tiers/postgres.sh starts one); returns its URL and a stop function. */
async function startServer(): Promise<{ url: string; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-bench-pg-'));
  chmodSync(dir, 0o755);
  const root = process.getuid?.() === 0;
  const asDb = (cmd: string, cmdArgs: string[]) => {
    const r = root ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...cmdArgs], { cwd: dir, encoding: 'utf8' }) : spawnSync(cmd, cmdArgs, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  if (root) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0) throw new Error('running as root needs the postgres user (install PostgreSQL from Debian packages)');
    chownSync(dir, Number(id.stdout.trim()), -1);
  }
  const port = await freePort();
  asDb(pgBin('initdb'), ['-D', `${dir}/data`, '-U', 'riffle', '-A', 'trust', '-E', 'UTF8', '--no-locale']);
  asDb(pgBin('pg_ctl'), ['-D', `${dir}/data`, '-l', `${dir}/server.log`, '-w', '-t', '60', '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c wal_level=logical -c max_wal_senders=10 -c max_replication_slots=10`, 'start']);
  const stop = () => {
    try { asDb(pgBin('pg_ctl'), ['-D', `${dir}/data`, '-m', 'immediate', 'stop']); } catch { /* already stopped */ }
    rmSync(dir, { recursive: true, force: true });
  };
  return { url: `postgres://riffle@127.0.0.1:${port}/postgres`, stop };
}

// ---- the workload

async function setupWorkload(db: pg.Client): Promise<void> {
  await db.query('DROP TABLE IF EXISTS riffle_bench_cdc CASCADE');
  await db.query('CREATE TABLE riffle_bench_cdc (id bigint PRIMARY KEY, qty int, price numeric(12,2), note text, at timestamptz)');
  await db.query('DROP PUBLICATION IF EXISTS riffle_bench_cdc');
  await db.query('CREATE PUBLICATION riffle_bench_cdc FOR TABLE riffle_bench_cdc');
  // One procedure commits every `tx` rows: the changes arrive as many transactions, as an application makes them.
  await db.query(`CREATE OR REPLACE PROCEDURE riffle_bench_load(first bigint, n bigint, tx int) LANGUAGE plpgsql AS $$
    DECLARE i bigint := first;
    BEGIN
      WHILE i < first + n LOOP
        INSERT INTO riffle_bench_cdc SELECT g, g % 100, g * 0.01, 'note ' || g, now() FROM generate_series(i, least(i + tx, first + n) - 1) g;
        COMMIT;
        i := i + tx;
      END LOOP;
    END $$`);
  await db.query(`CREATE OR REPLACE PROCEDURE riffle_bench_churn(first bigint, n bigint, tx int) LANGUAGE plpgsql AS $$
    DECLARE i bigint := first;
    BEGIN
      WHILE i < first + n LOOP
        UPDATE riffle_bench_cdc SET qty = qty + 1, note = note || '+' WHERE id >= i AND id < least(i + tx, first + n) AND id % 2 = 1;
        COMMIT;
        i := i + tx;
      END LOOP;
      i := first;
      WHILE i < first + n LOOP
        DELETE FROM riffle_bench_cdc WHERE id >= i AND id < least(i + tx, first + n) AND id % 2 = 0;
        COMMIT;
        i := i + tx;
      END LOOP;
    END $$`);
}

/** N changes: N/2 inserts, then N/4 updates (odd ids) and N/4 deletes (even ids), `tx` rows per transaction. */
async function runWorkload(db: pg.Client, first: number, n: number): Promise<number> {
  const rows = Math.floor(n / 2);
  await db.query('CALL riffle_bench_load($1, $2, $3)', [first, rows, TX]);
  await db.query('CALL riffle_bench_churn($1, $2, $3)', [first, rows, TX]);
  const { rows: [{ count }] } = await db.query<{ count: string }>('SELECT count(*) FROM riffle_bench_cdc WHERE id >= $1 AND id < $2', [first, first + rows]);
  return rows + Math.floor(rows / 2) + (rows - Number(count)); // inserts + updates (odd ids) + deletes (even ids)
}

// ---- the consumers

/** pg_recvlogical from its slot to `endpos`, bytes to /dev/null; seconds. */
function recvlogical(url: string, slot: string, endpos: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(pgBin('pg_recvlogical'), ['-d', url, '--slot', slot, '--start', '--endpos', endpos, '--no-loop', '-o', 'proto_version=1', '-o', 'publication_names=riffle_bench_cdc', '-f', '/dev/null'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e9) : reject(new Error(`pg_recvlogical exited ${code}: ${err}`))));
  });
}

async function riffleReader(url: string, slot: string): Promise<{ seconds: number; events: number }> {
  const started = process.hrtime.bigint();
  const reader = await new PostgresChangesSource('riffle_bench_cdc', slot, { url, snapshot: false, until: 'caughtUp' }).open(undefined);
  let events = 0;
  try {
    for (;;) {
      const batch = await reader.next(100);
      if (batch) events += batch.values.length;
      else if (reader.watermark() >= 8.64e15) break;
    }
  } finally {
    await reader.close();
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, events };
}

async function rifflePipeline(url: string, slot: string): Promise<{ seconds: number; events: number }> {
  let events = 0;
  const counter: Sink<unknown> = {
    describe: () => 'count',
    async open() {
      let n = 0;
      return { write: () => void n++, flush: async () => { events += n; n = 0; return []; }, finish: async () => {}, abort: async () => {} };
    },
  };
  const p = Pipeline.create();
  p.apply(changes('riffle_bench_cdc', slot, { url, snapshot: false, until: 'caughtUp' })).apply(writeTo(counter));
  const started = process.hrtime.bigint();
  await p.run();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, events };
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function main(): Promise<void> {
  const server = process.env.RIFFLE_PG_URL ? { url: process.env.RIFFLE_PG_URL, stop: () => {} } : await startServer();
  const db = new pg.Client({ connectionString: server.url });
  await db.connect();
  const slots = ['riffle_bench_recv', 'riffle_bench_reader', 'riffle_bench_pipeline', 'riffle_bench_live_recv', 'riffle_bench_live_riffle'];
  const dropSlots = async () => {
    for (const s of slots) await db.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [s]).catch(() => {});
  };
  try {
    const { rows: [{ server_version: version }] } = await db.query<{ server_version: string }>('SHOW server_version');
    log(`cdc bench: PostgreSQL ${version}, ${CHANGES} changes in transactions of ${TX} rows`);
    await dropSlots();
    await setupWorkload(db);
    for (const s of slots.slice(0, 3)) await db.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [s]);

    // ---- catch-up
    const t0 = Date.now();
    const made = await runWorkload(db, 1, CHANGES);
    const { rows: [{ lsn: endpos }] } = await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    log(`  workload: ${made} changes committed in ${((Date.now() - t0) / 1000).toFixed(1)} s (WAL to ${endpos})`);
    const recvSeconds = await recvlogical(server.url, 'riffle_bench_recv', endpos);
    const reader = await riffleReader(server.url, 'riffle_bench_reader');
    const pipeline = await rifflePipeline(server.url, 'riffle_bench_pipeline');
    if (reader.events !== made || pipeline.events !== made) throw new Error(`Riffle read ${reader.events} (reader) and ${pipeline.events} (pipeline) changes, the workload made ${made}`);
    const catchUp = {
      changes: made,
      pgRecvlogical: { seconds: recvSeconds, changesPerSec: Math.round(made / recvSeconds) },
      riffleReader: { seconds: reader.seconds, changesPerSec: Math.round(made / reader.seconds) },
      rifflePipeline: { seconds: pipeline.seconds, changesPerSec: Math.round(made / pipeline.seconds) },
    };
    log(`  catch-up: pg_recvlogical ${catchUp.pgRecvlogical.changesPerSec.toLocaleString('en-US')} changes/s (${recvSeconds.toFixed(2)} s); `
      + `Riffle reader ${catchUp.riffleReader.changesPerSec.toLocaleString('en-US')} changes/s (${reader.seconds.toFixed(2)} s, ${(100 * recvSeconds / reader.seconds).toFixed(0)}% of pg_recvlogical); `
      + `Riffle pipeline ${catchUp.rifflePipeline.changesPerSec.toLocaleString('en-US')} changes/s (${pipeline.seconds.toFixed(2)} s)`);

    // ---- live
    for (const s of slots.slice(3)) await db.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [s]);
    const recv = spawn(pgBin('pg_recvlogical'), ['-d', server.url, '--slot', 'riffle_bench_live_recv', '--start', '--no-loop', '-s', '1', '-F', '1', '-o', 'proto_version=1', '-o', 'publication_names=riffle_bench_cdc', '-f', '/dev/null'], { stdio: 'ignore' });
    const live = await new PostgresChangesSource('riffle_bench_cdc', 'riffle_bench_live_riffle', { url: server.url, snapshot: false, statusIntervalMs: 1000 }).open(undefined);
    const lags: number[] = [];
    let liveEvents = 0;
    let stop = false;
    const consume = (async () => {
      while (!stop) {
        const batch = await live.next(50);
        if (!batch) continue;
        const now = Date.now();
        let lastTx = -1;
        for (const e of batch.values) {
          liveEvents++;
          if (e.source.txId !== lastTx) { lastTx = e.source.txId; lags.push(now - e.source.ts_ms); }
        }
      }
    })();
    const samples: { recv: number[]; riffle: number[] } = { recv: [], riffle: [] };
    const sampler = setInterval(() => {
      void db.query<{ name: string; ms: string | null }>(
        `SELECT s.slot_name AS name, (extract(epoch FROM r.write_lag) * 1000)::text AS ms FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid
          WHERE s.slot_name IN ('riffle_bench_live_recv', 'riffle_bench_live_riffle')`,
      ).then(({ rows }) => {
        for (const r of rows) if (r.ms !== null) (r.name === 'riffle_bench_live_recv' ? samples.recv : samples.riffle).push(Number(r.ms));
      }).catch(() => {});
    }, 200);
    // The load: one transaction of TX rows every TX/RATE seconds, from a second session.
    const load = new pg.Client({ connectionString: server.url });
    await load.connect();
    await new Promise((r) => setTimeout(r, 500));
    const first = 10_000_000;
    let next = first;
    const started = Date.now();
    let committed = 0;
    while (Date.now() - started < SECONDS * 1000) {
      const due = started + (committed / RATE) * 1000;
      if (Date.now() < due) await new Promise((r) => setTimeout(r, due - Date.now()));
      await load.query(`INSERT INTO riffle_bench_cdc SELECT g, 1, 1.00, 'live', now() FROM generate_series($1::bigint, $2::bigint) g`, [next, next + TX - 1]);
      next += TX;
      committed += TX;
    }
    const achieved = committed / ((Date.now() - started) / 1000);
    for (let i = 0; i < 100 && liveEvents < committed; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1200));
    stop = true;
    clearInterval(sampler);
    await consume;
    await live.close();
    recv.kill('SIGINT');
    await load.end();
    lags.sort((a, b) => a - b);
    const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
    const liveResult = {
      changesPerSec: Math.round(achieved), seconds: SECONDS, riffleEvents: liveEvents, committed,
      riffleLagMs: { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags.at(-1) ?? NaN },
      writeLagMs: { pgRecvlogical: { median: median(samples.recv), max: Math.max(...samples.recv) }, riffle: { median: median(samples.riffle), max: Math.max(...samples.riffle) } },
    };
    log(`  live at ${liveResult.changesPerSec.toLocaleString('en-US')} changes/s for ${SECONDS} s: Riffle received ${liveEvents}/${committed}; commit → event p50 ${liveResult.riffleLagMs.p50} ms, p99 ${liveResult.riffleLagMs.p99} ms; `
      + `server write_lag median/max: pg_recvlogical ${liveResult.writeLagMs.pgRecvlogical.median.toFixed(1)}/${liveResult.writeLagMs.pgRecvlogical.max.toFixed(1)} ms, Riffle ${liveResult.writeLagMs.riffle.median.toFixed(1)}/${liveResult.writeLagMs.riffle.max.toFixed(1)} ms`);
    if (JSON_OUT) console.log(JSON.stringify({ server: `PostgreSQL ${version}`, tx: TX, catchUp, live: liveResult }));
  } finally {
    await dropSlots().catch(() => {});
    await db.query('DROP TABLE IF EXISTS riffle_bench_cdc CASCADE').catch(() => {});
    await db.query('DROP PUBLICATION IF EXISTS riffle_bench_cdc').catch(() => {});
    await db.end().catch(() => {});
    server.stop();
  }
}

await main();
