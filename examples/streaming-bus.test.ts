// End-to-end test of examples/streaming-bus.ts: the example publishes its readings to the embedded bus and drains the
// subscription; the Delta table's 5-minute windows per sensor are checked against a reference computed here, in plain
// JavaScript, from the same generated readings; the raw archive, the error output and the subscription's backlog too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { io, Pipeline } from 'riffle';
import { DeltaTable } from 'riffle/lakehouse';
import streamingBus, { defaultStart, DUPLICATES, generateReadings, MALFORMED, SUBSCRIPTION, type Reading } from './streaming-bus.ts';

const ROOT = join(import.meta.dirname, '..');
const WINDOW = 5 * 60_000;

interface RefWindow {
  sensor: string;
  start: number;
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** The expected windows: readings grouped by sensor and 5-minute window of event time. */
function reference(readings: readonly Reading[]): Map<string, RefWindow> {
  const out = new Map<string, RefWindow>();
  for (const r of readings) {
    const start = Math.floor(r.ts / WINDOW) * WINDOW;
    const k = `${r.sensor}@${start}`;
    const w = out.get(k) ?? { sensor: r.sensor, start, count: 0, sum: 0, min: Infinity, max: -Infinity };
    w.count++;
    w.sum += r.temperature;
    w.min = Math.min(w.min, r.temperature);
    w.max = Math.max(w.max, r.temperature);
    out.set(k, w);
  }
  return out;
}

/** A Delta timestamp as the lakehouse reads it (microseconds since the epoch, as a bigint), in ms. */
const toMs = (v: unknown) => (v instanceof Date ? v.getTime() : Number(v as bigint) / 1000);

const jsonl = (dir: string, prefix: string) =>
  readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== '').map((l) => ({ file: f, row: JSON.parse(l) as Record<string, unknown> })));

test('streaming-bus: 10,000 readings of 20 sensors through the bus → 5-minute windows per sensor in Delta, the raw archive, errors, drained', async () => {
  const out = mkdtempSync(join(tmpdir(), 'riffle-example-bus-'));
  const start = defaultStart();
  const p = Pipeline.create();
  const log = console.log;
  console.log = () => {};
  try {
    await streamingBus.build(p, streamingBus.parseParams({ output: out, start: String(start) }));
  } finally {
    console.log = log;
  }
  const result = await p.run();
  assert.equal(result.state, 'DONE');
  assert.ok(result.metrics.steps.every((s) => s.droppedLate === 0), 'no reading is late: the watermark never passed an unread one');

  const readings = generateReadings(10_000, 20, start);
  const expected = reference(readings);
  const table = await DeltaTable.open(join(out, 'sensor-windows'));
  const rows = await table.read();
  assert.equal(rows.length, expected.size);
  const seen = new Set<string>();
  for (const row of rows) {
    const ws = toMs(row.window_start);
    const k = `${String(row.sensor)}@${ws}`;
    const e = expected.get(k);
    assert.ok(e, `an unexpected window ${k}`);
    assert.ok(!seen.has(k), `window ${k} written twice`);
    seen.add(k);
    assert.equal(toMs(row.window_end), ws + WINDOW);
    assert.equal(row.count, BigInt(e.count), `count of ${k}`);
    assert.ok(Math.abs((row.avg as number) - e.sum / e.count) < 1e-9, `avg of ${k}: ${String(row.avg)} vs ${e.sum / e.count}`);
    assert.equal(row.min, e.min);
    assert.equal(row.max, e.max);
  }

  // The archive: every reading once (the republished duplicates dropped), each in the file of its window.
  const archived = jsonl(join(out, 'archive'), 'readings-');
  assert.equal(archived.length, readings.length);
  assert.equal(new Set(archived.map((a) => a.row.id)).size, readings.length);
  for (const { file, row } of archived.slice(0, 200)) {
    const ws = new Date(Math.floor((row.ts as number) / WINDOW) * WINDOW).toISOString().replace(/[-:]/g, '');
    assert.ok(file.includes(ws), `${String(row.id)} in ${file}`);
  }
  assert.ok(DUPLICATES > 0);

  // Malformed messages: with the reason and the raw bytes.
  const errors = jsonl(out, 'errors-').map((e) => e.row as { error: string; element: string; origin: { messageId: string; encoding: string; attributes: Record<string, string> } });
  assert.deepEqual(errors.map((e) => e.origin.attributes.id).sort(), MALFORMED.map((m) => m.attributes.id).sort());
  const utf8 = errors.find((e) => e.origin.attributes.id === 'bad-utf8')!;
  assert.equal(utf8.origin.encoding, 'base64');
  assert.deepEqual([...Buffer.from(utf8.element, 'base64')], [0x7b, 0xff, 0xfe, 0x7d]);
  assert.match(errors.find((e) => e.origin.attributes.id === 'bad-ts')!.error, /timestamp attribute 'ts'/);

  // Every message was acked: the subscription is drained.
  const bus = await io.bus.openBus({ dir: join(out, 'bus') });
  const stats = (await bus.stats({ subscription: SUBSCRIPTION })).subscriptions[0]!;
  assert.equal(stats.backlogMessages, 0);
  await bus.close();
});

test('streaming-bus: the CLI runs it on a fresh directory and it ends by itself', () => {
  const out = mkdtempSync(join(tmpdir(), 'riffle-example-bus-cli-'));
  const r = spawnSync(process.execPath, ['bin/riffle.js', 'run', 'examples/streaming-bus.ts', `--output=${out}`, '--readings=400', '--sensors=4', '--no-progress'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Published 400 readings of 4 sensors/);
  assert.match(r.stdout, /DONE/);
  assert.ok(readdirSync(join(out, 'sensor-windows', '_delta_log')).some((f) => f.endsWith('.json')));
});
