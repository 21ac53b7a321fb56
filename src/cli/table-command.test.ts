// End-to-end tests of `riffle table`: each spawns `node --import tsx src/cli/main.ts table ...`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DeltaTable } from '../lakehouse/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

function riffle(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'table', ...args], { cwd: root, env: { ...process.env, RIFFLE_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const json = async (args: string[]) => {
  const r = await riffle([...args, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
};

describe('riffle table (command line)', { concurrency: 1 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-table-cli-'));
  const table = join(dir, 'orders');
  writeFileSync(join(dir, 'in.csv'), 'id,name,amount,day,ts\n1,a,1.5,2024-05-01,2024-05-01T10:00:00Z\n2,b,,2024-05-02,2024-05-02T10:00:00Z\n3,"c, d",3,2024-05-01,\n');
  writeFileSync(join(dir, 'up.jsonl'), '{"id":2,"name":"B","amount":20,"day":"2024-05-02"}\n{"id":4,"name":"e","amount":4,"day":"2024-05-03"}\n');
  writeFileSync(join(dir, 'more.csv'), 'id,name,amount,day,ts,channel\n5,f,5,2024-05-03,,web\n');
  writeFileSync(join(dir, 'bad.csv'), 'id,name,amount,day,ts\nx,a,1,2024-05-01,\n');

  it('write creates a typed, partitioned table from CSV; describe and show read it back', async () => {
    const w = await riffle(['write', table, '--from', join(dir, 'in.csv'), '--partition-by', 'day']);
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stdout, /created the table and appended 3 rows: .* is at version 1/);
    const d = await json(['describe', table]);
    assert.deepEqual(d.schema.map((c: { name: string; type: string }) => `${c.name}:${c.type}`), ['id:long', 'name:string', 'amount:double', 'day:date', 'ts:timestamp']);
    assert.deepEqual({ version: d.version, partitions: d.partitionColumns, files: d.numFiles, rows: d.numRecords, reader: d.protocol.minReaderVersion }, { version: 1, partitions: ['day'], files: 2, rows: 3, reader: 1 });
    const text = await riffle(['show', table, '--where', "day = '2024-05-01'"]);
    assert.match(text.stdout, /^id\s+name\s+amount\s+day\s+ts\n/);
    assert.match(text.stdout, /3\s+c, d\s+3\s+2024-05-01\s+null/);
    assert.match(text.stdout, /2 of 2 rows, version 1/);
  });

  it('merge upserts on the keys; history and time travel see each version', async () => {
    const m = await riffle(['merge', table, '--from', join(dir, 'up.jsonl'), '--on', 'id']);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /1 updated, 1 inserted; version 2/);
    const now = await json(['show', table, '--where', 'id >= 2']);
    assert.deepEqual(now.rows.map((r: { id: number; name: string }) => [r.id, r.name]).sort(), [[2, 'B'], [3, 'c, d'], [4, 'e']]);
    const before = await json(['show', table, '--version', '1', '--where', 'id = 2']);
    assert.deepEqual(before.rows, [{ id: 2, name: 'b', amount: null, day: '2024-05-02', ts: '2024-05-02T10:00:00.000000Z' }]);
    const history = await json(['history', table, '--limit', '2']);
    assert.deepEqual(history.map((h: { version: number; operation: string }) => [h.version, h.operation]), [[2, 'MERGE'], [1, 'WRITE']]);
  });

  it('schema enforcement: new columns need --merge-schema; bad values name file, line and column', async () => {
    const refused = await riffle(['write', table, '--from', join(dir, 'more.csv')]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /has column 'channel' that the table does not have\n {2}hint: pass --merge-schema/);
    const added = await riffle(['write', table, '--from', join(dir, 'more.csv'), '--merge-schema']);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /added columns: channel \(string\)/);
    const bad = await riffle(['write', table, '--from', join(dir, 'bad.csv')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad\.csv:2: column 'id' is long, but 'x' is not a 64-bit integer/);
  });

  it('optimize, vacuum (refused below the retention without --force), restore', async () => {
    const o = await json(['optimize', table, '--zorder-by', 'id,amount']);
    assert.equal(o.committed, true);
    const refused = await riffle(['vacuum', table, '--retention-hours', '0']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /below the table's minimum of 168 hours.*\n {2}hint: .*pass --force/);
    const dry = await json(['vacuum', table, '--retention-hours', '0', '--force', '--dry-run']);
    assert.equal(dry.dryRun, true);
    assert.ok(dry.filesDeleted.length > 0);
    const r = await json(['restore', table, '--version', '2']);
    assert.deepEqual({ committed: r.committed, restoredVersion: r.restoredVersion }, { committed: true, restoredVersion: 2 });
    const rows = await json(['show', table]);
    assert.equal(rows.total, 4);
  });

  it('changes reads the change data feed of a table that has it', async () => {
    const cdf = join(dir, 'cdf');
    const { DeltaTable } = await import('../lakehouse/index.ts');
    const t = await DeltaTable.create(cdf, { schema: { id: 'long', v: 'string' }, properties: { 'delta.enableChangeDataFeed': 'true' } });
    await t.append([{ id: 1n, v: 'a' }]);
    await t.update({ id: 1 }, { v: 'b' });
    const c = await json(['changes', cdf, '--from', '1']);
    assert.deepEqual(c.changes.map((r: { _commit_version: number; _change_type: string; v: string }) => [r._commit_version, r._change_type, r.v]), [
      [1, 'insert', 'a'], [2, 'update_preimage', 'a'], [2, 'update_postimage', 'b'],
    ]);
  });

  it('the change data feed from the command line: write --property at creation, set-property on an existing table', async () => {
    const created = join(dir, 'cdf-created');
    const w = await json(['write', created, '--from', join(dir, 'in.csv'), '--property', 'delta.enableChangeDataFeed=true', '--property=owner=team a']);
    assert.deepEqual(w.propertiesSet, ['delta.enableChangeDataFeed', 'owner']);
    assert.deepEqual((await json(['describe', created])).properties, { 'delta.enableChangeDataFeed': 'true', owner: 'team a' });
    assert.equal((await json(['changes', created, '--from', '0'])).changes.length, 3);

    const plain = join(dir, 'cdf-later');
    await json(['write', plain, '--from', join(dir, 'in.csv')]);
    const r = await riffle(['set-property', plain, 'delta.enableChangeDataFeed=true', 'delta.logRetentionDuration=interval 60 days']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /set delta\.enableChangeDataFeed=true, delta\.logRetentionDuration=interval 60 days: .* is at version 2/);
    await json(['write', plain, '--from', join(dir, 'more.csv'), '--merge-schema']);
    const c = await json(['changes', plain, '--from', '2']);
    assert.deepEqual(c.changes.map((x: { _commit_version: number; _change_type: string; id: number }) => [x._commit_version, x._change_type, x.id]), [[3, 'insert', 5]]);
    const before = await riffle(['changes', plain, '--from', '0']);
    assert.equal(before.code, 1);
    assert.match(before.stderr, /not enabled at version 0 .*\(it is on from version 2\)/);
  });

  it('bad property names and values are refused before any work (exit 2)', async () => {
    const cases: [string[], RegExp][] = [
      [['set-property', table, 'delta.enableChangeDataFed=true'], /'delta\.enableChangeDataFed' is not supported by Riffle yet \(did you mean `delta\.enableChangeDataFeed`\?\)/],
      [['set-property', table, 'delta.appendOnly=yes'], /'delta\.appendOnly' is 'yes', not 'true' or 'false'/],
      [['set-property', table, 'novalue'], /novalue: expected key=value/],
      [['set-property', table], /needs key=value/],
      [['write', join(dir, 'never'), '--from', join(dir, 'in.csv'), '--property', 'delta.checkpointInterval=ten'], /not a positive integer/],
      [['show', table, '--property', 'a=b'], /unknown option --property/],
    ];
    for (const [args, message] of cases) {
      const r = await riffle(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.equal((await riffle(['describe', join(dir, 'never')])).code, 1, 'nothing was created');
  });

  it('show prints every type exactly: decimals as strings, timestamps with microseconds, binary as base64 (JSON) or hex', async () => {
    const typed = join(dir, 'typed');
    const t = await DeltaTable.create(typed, {
      schema: { id: 'long', d: 'decimal(38,10)', ts: 'timestamp', ntz: 'timestamp_ntz', b: 'binary', f: 'float', x: 'double', day: 'date' },
    });
    await t.append([
      { id: 1, d: '-1234567890123456789012345678.0123456789', ts: -1n, ntz: '0001-01-01T00:00:00.000001', b: new Uint8Array([0, 255, 128]), f: 1.5, x: NaN, day: '0001-01-01' },
      { id: 2, d: '9.5', ts: 1714979289123456n, ntz: '2024-05-06 07:08:09.123456', b: null, f: -Infinity, x: 0.1, day: '9999-12-31' },
    ]);
    const out = await json(['show', typed]);
    assert.deepEqual(out.rows.sort((a: { id: number }, b: { id: number }) => a.id - b.id), [
      { id: 1, d: '-1234567890123456789012345678.0123456789', ts: '1969-12-31T23:59:59.999999Z', ntz: '0001-01-01T00:00:00.000001', b: 'AP+A', f: 1.5, x: 'NaN', day: '0001-01-01' },
      { id: 2, d: '9.5000000000', ts: '2024-05-06T07:08:09.123456Z', ntz: '2024-05-06T07:08:09.123456', b: null, f: '-Infinity', x: 0.1, day: '9999-12-31' },
    ]);
    assert.deepEqual((await json(['show', typed, '--where', "d > '10'"])).rows, []);
    assert.deepEqual((await json(['show', typed, '--where', 'd < 10'])).rows.map((r: { id: number }) => r.id).sort(), [1, 2]);
    const text = await riffle(['show', typed, '--where', 'id = 1']);
    assert.match(text.stdout, /0x00ff80/);
    // CSV and JSON Lines into the typed table: decimals exact, timestamp_ntz without zone, nested from JSON.
    writeFileSync(join(dir, 'typed.csv'), 'id,d,ntz,f,day\n3,12345678901234567890.0123456789,2024-01-01 00:00:00.000001,0.5,1900-01-01\n');
    const w = await riffle(['write', typed, '--from', join(dir, 'typed.csv')]);
    assert.equal(w.code, 0, w.stderr);
    const three = (await json(['show', typed, '--where', 'id = 3'])).rows[0];
    assert.deepEqual([three.d, three.ntz, three.f, three.day], ['12345678901234567890.0123456789', '2024-01-01T00:00:00.000001', 0.5, '1900-01-01']);
    writeFileSync(join(dir, 'typed-bad.csv'), 'id,d\n4,1.00000000001\n');
    const bad = await riffle(['write', typed, '--from', join(dir, 'typed-bad.csv')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /column 'd' expects decimal\(38,10\), got string '1.00000000001' has more than 10 decimal places/);
    const nestedTable = join(dir, 'nested');
    await DeltaTable.create(nestedTable, { schema: { id: 'long', tags: 'array<string>', attrs: 'map<string,long>', pt: 'struct<x:double,at:timestamp>' } });
    writeFileSync(join(dir, 'nested.jsonl'), '{"id":1,"tags":["a",null],"attrs":{"k":2},"pt":{"x":1.5,"at":"2024-01-01T00:00:00.000001Z"}}\n');
    const wn = await riffle(['write', nestedTable, '--from', join(dir, 'nested.jsonl')]);
    assert.equal(wn.code, 0, wn.stderr);
    assert.deepEqual((await json(['show', nestedTable])).rows, [{ id: 1, tags: ['a', null], attrs: { k: 2 }, pt: { x: 1.5, at: '2024-01-01T00:00:00.000001Z' } }]);
  });

  it('bad usage exits 2 naming what is wrong and what is expected', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['frob', table], /unknown table command 'frob'\n {2}hint: commands: write, merge/],
      [['show'], /missing the table path/],
      [['show', table, '--limit', 'x'], /--limit must be a positive number of rows, got 'x'/],
      [['show', table, '--where', 'id = 1 or id = 2'], /expected 'and' \(only conjunctions are supported\)/],
      [['show', table, '--bogus', '1'], /unknown option --bogus\n {2}hint: usage: riffle table show/],
      [['write', table], /--from <file> is required/],
      [['write', table, '--from', join(dir, 'in.csv'), '--mode', 'upsert'], /--mode must be append or overwrite, got 'upsert'/],
      [['restore', table], /give exactly one of --version N or --timestamp T/],
      [['merge', table, '--from', join(dir, 'up.jsonl')], /--on <key,...> is required/],
      [['optimize', table, '--target-size', 'big'], /--target-size must be a size such as 134217728, 128MB or 1GB, got 'big'/],
    ];
    for (const [args, message] of cases) {
      const r = await riffle(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const missing = await riffle(['describe', join(dir, 'nope')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope is not a Delta table: the path does not exist/);
  });
});
