// riffle's SQL sessions over Delta tables: snapshots (time travel by version and timestamp), partition pruning and
// min/max skipping (counted files, and the same rows as a scan of every file), the metadata table functions, and
// errors that point at the query.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeltaTable } from '../lakehouse/index.ts';
import { SqlError, SqlSession } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'riffle-sql-session-'));
let session: SqlSession;

before(async () => {
  // events: 4 commits of one file per partition each; ids grow with the commit (min/max skipping by id).
  const t = await DeltaTable.create(join(dir, 'events'), {
    schema: { id: 'long', country: 'string', amount: 'double', ts: 'timestamp', day: 'date', note: 'string' },
    partitionBy: ['country'],
  });
  for (let v = 0; v < 3; v++) {
    await t.append(['fr', 'de'].flatMap((country, c) => [0, 1].map((k) => ({
      id: v * 10 + c * 2 + k, country, amount: v + k / 2, ts: new Date(Date.UTC(2024, 0, 1 + v, k)), day: `2024-01-0${1 + v}`, note: k === 0 ? null : `n${v}`,
    }))));
  }
  await t.append([{ id: 100, country: null, amount: 9, ts: new Date(Date.UTC(2024, 1, 1)), day: '2024-02-01', note: 'none' }]);
  session = await SqlSession.open({ cwd: dir, threads: 1 });
});
after(() => {
  session?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The rows of a query over every file (no skipping possible: the predicate sits behind a CTE's projection). */
async function unpruned(where: string): Promise<readonly (readonly unknown[])[]> {
  return (await session.query(`WITH all_rows AS MATERIALIZED (SELECT * FROM delta('events')) SELECT * FROM all_rows WHERE ${where} ORDER BY id`)).rows;
}

describe('delta() scans', () => {
  it('reads every file of the latest snapshot, partition values as typed columns in schema order', async () => {
    const r = await session.query("SELECT * FROM delta('events') ORDER BY id");
    assert.deepEqual(r.columns.map((c) => `${c.name} ${c.type}`), ['id BIGINT', 'country VARCHAR', 'amount DOUBLE', 'ts TIMESTAMP WITH TIME ZONE', 'day DATE', 'note VARCHAR']);
    assert.equal(r.rows.length, 13);
    assert.deepEqual(r.rows[0], [0, 'fr', 0, '2024-01-01 00:00:00+00', '2024-01-01', null]);
    assert.deepEqual(r.rows.at(-1), [100, null, 9, '2024-02-01 00:00:00+00', '2024-02-01', 'none']);
    assert.deepEqual(r.scans, [{ table: 'events', version: 4, filesTotal: 7, filesRead: 7 }]);
  });

  for (const [where, filesRead] of [
    ["country = 'fr'", 3],
    ["country = 'fr' AND id >= 20", 1],
    ['id BETWEEN 10 AND 13', 2],
    ['id IN (0, 100)', 2],
    ['country IS NULL', 1],
    ["day = '2024-01-02'", 2],
    ["day >= DATE '2024-01-03'", 3],
    ["ts < TIMESTAMP '2024-01-02 00:00:00'", 2],
    ["ts > '2024-01-03T00:30:00Z'", 3],
    ['5 > id', 2],
    ['amount = 1.5', 2],
    ["country = 'fr' OR id = 100", 7], // a disjunction: no skipping
    ['amount > 1', 7], // > on a double: NaN could match, no skipping
    ['CAST(id AS INTEGER) = 3', 7], // not a plain column
  ] as const) {
    it(`WHERE ${where}: reads ${filesRead} of 7 files, same rows as a full scan`, async () => {
      const r = await session.query(`SELECT * FROM delta('events') WHERE ${where} ORDER BY id`);
      assert.equal(r.scans[0].filesRead, filesRead, JSON.stringify(r.scans[0], (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
      assert.deepEqual(r.rows, await unpruned(where));
    });
  }

  it('leaves string and zone-less timestamp literals alone when the session compares them otherwise', async () => {
    const other = await SqlSession.open({ cwd: dir, threads: 1 });
    try {
      await other.query("SET default_collation = 'nocase'");
      const r = await other.query("SELECT count(*) FROM delta('events') WHERE country = 'FR'");
      assert.deepEqual([r.rows, r.scans[0].filesRead], [[[6]], 7]);
      await other.query("SET default_collation = ''");
      await other.query("SET TimeZone = 'America/New_York'");
      const t = await other.query("SELECT count(*) FROM delta('events') WHERE ts < '2024-01-01 03:00:00'");
      assert.deepEqual([t.rows, t.scans[0].filesRead], [[[4]], 7]); // 03:00 New York is 08:00 UTC: every row of Jan 1
      const z = await other.query("SELECT count(*) FROM delta('events') WHERE ts < '2024-01-01T03:00:00Z'");
      assert.equal(z.scans[0].filesRead, 2);
    } finally {
      other.close();
    }
  });

  it('skips per scan in a join only on qualified columns, and not in an ASOF join', async () => {
    const r = await session.query("SELECT a.id, b.id FROM delta('events') a JOIN delta('events') b ON a.id = b.id WHERE a.country = 'de' AND b.id < 2");
    // a: country = 'de' (3 files); b: id < 2 (one file)
    assert.deepEqual(r.scans.map((s) => s.filesRead), [3, 1]);
    assert.deepEqual(r.rows, []);
    const asof = await session.query("SELECT count(*) FROM delta('events') a ASOF JOIN delta('events') b ON a.id >= b.id WHERE b.country = 'de'");
    assert.deepEqual(asof.scans.map((s) => s.filesRead), [7, 7]);
  });

  it('travels to a version and to a timestamp', async () => {
    const v1 = await session.query("SELECT count(*) AS n FROM delta('events', version => 1)");
    assert.deepEqual(v1.rows, [[4]]);
    assert.equal(v1.scans[0].version, 1);
    // Commit times are the commit files' modification times: pin version 2 to a known instant.
    utimesSync(join(dir, 'events/_delta_log/00000000000000000000.json'), new Date('2024-03-01T00:00:00Z'), new Date('2024-03-01T00:00:00Z'));
    utimesSync(join(dir, 'events/_delta_log/00000000000000000001.json'), new Date('2024-03-02T00:00:00Z'), new Date('2024-03-02T00:00:00Z'));
    utimesSync(join(dir, 'events/_delta_log/00000000000000000002.json'), new Date('2024-03-03T00:00:00Z'), new Date('2024-03-03T00:00:00Z'));
    const at = await session.query("SELECT count(*) FROM delta('events', timestamp => '2024-03-02T12:00:00Z')");
    assert.deepEqual([at.rows, at.scans[0].version], [[[4]], 1]);
    await assert.rejects(session.query("SELECT * FROM delta('events', version => 9)"), (e: SqlError) => e.code === 'SQL_TABLE_NOT_FOUND' && /version 9/.test(e.message));
  });

  it('reads an empty selection as an empty, typed relation', async () => {
    const r = await session.query("SELECT * FROM delta('events') WHERE country = 'xx'");
    assert.deepEqual([r.rows.length, r.scans[0].filesRead, r.columns.length], [0, 0, 6]);
  });

  it('reads a table whose directories spell its partition values with one Hive-partitioned scan, else one scan per partition', async () => {
    const t = await DeltaTable.create(join(dir, 'plain'), { schema: { day: 'date', n: 'long', v: 'double' }, partitionBy: ['day', 'n'] });
    await t.append([{ day: '2024-01-01', n: 1, v: 0.5 }, { day: '2024-01-02', n: 2, v: 1.5 }, { day: '2024-01-02', n: 3, v: 2.5 }]);
    const r = await session.query("SELECT day, n, v FROM delta('plain') WHERE day = '2024-01-02' ORDER BY n");
    assert.deepEqual(r.rows, [['2024-01-02', 2, 1.5], ['2024-01-02', 3, 2.5]]);
    assert.deepEqual(r.columns.map((c) => c.type), ['DATE', 'BIGINT', 'DOUBLE']);
    assert.equal(r.scans[0].filesRead, 2);
    const views = async () => (await session.query("SELECT sql FROM duckdb_views() WHERE view_name LIKE '__riffle_delta_%' ORDER BY CAST(split_part(view_name, '_', -1) AS INTEGER)")).rows.map((x) => String(x[0]));
    const plain = (await views()).find((v) => v.includes('/plain/')) ?? '';
    assert.match(plain, /hive_partitioning = (true|CAST\('t' AS BOOLEAN\))/); // as DuckDB prints the view
    assert.doesNotMatch(plain, /UNION ALL/);
    await session.query("SELECT count(*) FROM delta('events')"); // a null partition: literals per partition
    assert.match((await views()).at(-1) ?? '', /UNION ALL[\s\S]*hive_partitioning = (false|CAST\('f' AS BOOLEAN\))/);
  });

  it('works inside COPY and CREATE TABLE … AS (no skipping outside a SELECT)', async () => {
    const out = join(dir, 'copy.csv');
    await session.query(`COPY (SELECT id FROM delta('events') WHERE id < 2 ORDER BY id) TO '${out}' (HEADER)`);
    const r = await session.query(`SELECT * FROM read_csv('${out}')`);
    assert.deepEqual(r.rows, [[0], [1]]);
  });
});

describe('metadata table functions', () => {
  it('table_history, table_files and table_changes', async () => {
    const h = await session.query("SELECT version, operation FROM table_history('events') ORDER BY version");
    assert.deepEqual(h.rows.map((r) => r[0]), [0, 1, 2, 3, 4]);
    assert.equal(h.rows[0][1], 'CREATE TABLE');
    const f = await session.query("SELECT count(*), sum(num_records) FROM table_files('events', version => 2)");
    assert.deepEqual(f.rows, [[4, 8]]);
    await assert.rejects(session.query("SELECT * FROM table_changes('events', 0)"), /change data feed/);
    const t = await DeltaTable.create(join(dir, 'cdf'), { schema: { id: 'long' }, properties: { 'delta.enableChangeDataFeed': 'true' } });
    await t.append([{ id: 1 }, { id: 2 }]);
    await t.delete({ id: 1 });
    const c = await session.query("SELECT id, _change_type, _commit_version FROM table_changes('cdf', 1, 2) ORDER BY _commit_version, id");
    assert.deepEqual(c.rows, [[1, 'insert', 1], [2, 'insert', 1], [1, 'delete', 2]]);
  });
});

describe('errors', () => {
  it('a syntax error names line and column, with a caret (positions as written, before the rewrite)', async () => {
    await assert.rejects(session.query("SELECT *\nFROM delta('events')\nWHER id = 1"), (e: SqlError) => {
      assert.equal(e.code, 'SQL_SYNTAX');
      assert.deepEqual([e.line, e.column], [3, 6]); // WHER reads as an alias: the error is at 'id'
      assert.match(e.message, /\n {2}WHER id = 1\n {7}\^/);
      return true;
    });
  });

  it('an unknown column after a delta() call points at it and suggests the table\'s columns', async () => {
    await assert.rejects(session.query("SELECT * FROM delta('events') WHERE contry = 'fr'"), (e: SqlError) => {
      assert.equal(e.code, 'SQL_UNKNOWN_COLUMN');
      assert.deepEqual([e.line, e.column], [1, 37]);
      assert.match(e.hint ?? '', /did you mean 'country'/);
      return true;
    });
  });

  it('an unknown table suggests without naming internal relations', async () => {
    await assert.rejects(session.query("SELECT * FROM delta('events') d, evnts"), (e: SqlError) => e.code === 'SQL_UNKNOWN_TABLE' && !/__riffle/.test(e.message + (e.hint ?? '')));
  });

  it('a missing Delta path is named; bad arguments are refused before running', async () => {
    await assert.rejects(session.query("SELECT * FROM delta('no/such/table')"), (e: SqlError) => e.code === 'SQL_TABLE_NOT_FOUND' && e.message.includes(join(dir, 'no/such/table')) && e.column === 15);
    await assert.rejects(session.query("SELECT * FROM delta('events', versoin => 1)"), (e: SqlError) => e.code === 'SQL_INVALID_ARGUMENT' && /unknown argument 'versoin'/.test(e.message));
    await assert.rejects(session.query('SELECT * FROM delta(some_column)'), (e: SqlError) => e.code === 'SQL_INVALID_ARGUMENT' && /literals/.test(e.message));
    writeFileSync(join(dir, 'plain.txt'), 'x');
    await assert.rejects(session.query("SELECT * FROM delta('plain.txt')"), (e: SqlError) => e.code === 'SQL_TABLE_NOT_FOUND');
  });

  it('a table with deletion vectors is refused, naming the feature (never read with deleted rows back)', async () => {
    const log = join(dir, 'dv/_delta_log');
    mkdirSync(log, { recursive: true });
    const schema = JSON.stringify({ type: 'struct', fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }] });
    writeFileSync(join(log, '00000000000000000000.json'), [
      { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] } },
      { metaData: { id: 'x', format: { provider: 'parquet', options: {} }, schemaString: schema, partitionColumns: [], configuration: {}, createdTime: 0 } },
    ].map((a) => JSON.stringify(a)).join('\n') + '\n');
    await assert.rejects(session.query("SELECT * FROM delta('dv')"), (e: SqlError) => e.code === 'SQL_UNSUPPORTED' && /'deletionVectors'/.test(e.message) && e.column === 15);
  });

  it('a data file the log names but the disk lacks is an I/O error pointing at the call', async () => {
    const t = await DeltaTable.create(join(dir, 'lost'), { schema: { id: 'long' } });
    await t.append([{ id: 1 }]);
    const [file] = (await t.snapshot()).files;
    rmSync(file.absolutePath);
    await assert.rejects(session.query("SELECT * FROM delta('lost')"), (e: SqlError) => e instanceof SqlError && e.code === 'SQL_IO' && e.column === 15 && e.message.includes(file.absolutePath));
  });

  it('every Delta type reads exactly: decimals, timestamp_ntz, binary, nested columns (also as partition values)', async () => {
    const t = await DeltaTable.create(join(dir, 'typed'), {
      schema: { id: 'long', d: 'decimal(38,10)', ntz: 'timestamp_ntz', b: 'binary', tags: 'array<string>', st: 'struct<a:long,m:map<string,double>>', pd: 'decimal(5,2)' },
      partitionBy: ['pd'],
    });
    await t.append([
      { id: 1n, d: '-1234567890123456789012345678.0123456789', ntz: '0001-01-01 00:00:00.000001', b: new Uint8Array([0, 255]), tags: ['a', null], st: { a: 1n, m: { k: 1.5 } }, pd: '1.50' },
      { id: 2n, pd: null },
    ]);
    const r = await session.query("SELECT id, d, ntz, tags, st, pd, st.m['k'] AS mk FROM delta('typed') ORDER BY id");
    assert.deepEqual(r.columns.map((c) => c.type), ['BIGINT', 'DECIMAL(38,10)', 'TIMESTAMP', 'VARCHAR[]', 'STRUCT("a" BIGINT, "m" MAP(VARCHAR, DOUBLE))', 'DECIMAL(5,2)', 'DOUBLE']);
    assert.deepEqual(r.rows, [
      [1, '-1234567890123456789012345678.0123456789', '0001-01-01 00:00:00.000001', ['a', null], { a: '1', m: [{ key: 'k', value: 1.5 }] }, '1.50', 1.5],
      [2, null, null, null, null, null, null],
    ]);
    assert.deepEqual((await session.query("SELECT id FROM delta('typed') WHERE d < 0 AND pd = 1.5")).rows, [[1]]);
  });

  it('a type error is a SqlError with a hint', async () => {
    await assert.rejects(session.query("SELECT note + 1 FROM delta('events')"), (e: SqlError) => e.code === 'SQL_TYPE' && /cast/.test(e.hint ?? ''));
  });
});
