// Event-time progress in file reads (issue 13, item 4): `eventTime: { timestamp, ordered }` on a file read gives the
// records their event time and, for files declared in time order, reports a watermark as it reads — windows fire and
// are let go before the end, with the same output as without the declaration; a record that breaks the declared
// order goes to the errors with the reason, and bad options are refused before the run.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { combine, ConfigError, io, kv, Pipeline, window, type KV, type PipelineMetrics } from '../../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'riffle-event-time-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Click {
  readonly user: string;
  readonly at: number;
}

// Two files in time order (sorted paths), 100 one-second windows of 200 users each, a few records up to 2 s behind.
const N = 20_000;
const lines = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    const jitter = i % 97 === 0 ? 1500 : 0;
    return JSON.stringify({ user: `u${i % 200}`, at: i * 5 - jitter });
  }).join('\n');
writeFileSync(join(dir, 'clicks-1.jsonl'), `${lines(0, N / 2)}\n`);
writeFileSync(join(dir, 'clicks-2.jsonl'), `${lines(N / 2, N)}\n`);

async function run(ordered: boolean | { maxDelay: number } | undefined, extra = '') {
  const p = Pipeline.create();
  const pattern = extra === '' ? join(dir, 'clicks-*.jsonl') : [join(dir, 'clicks-*.jsonl'), extra];
  const { main, errors } = p
    .apply(io.files.readJsonl<Click>(pattern, { eventTime: { timestamp: (c) => c.at, ...(ordered !== undefined ? { ordered } : {}) } }).withErrors());
  const counts: string[] = [];
  main
    .map((c) => kv(c.user, 1), 'ByUser')
    .apply(window.into<KV<string, number>>(window.fixed(1000)))
    .apply('Count', combine.perKey(combine.count()))
    .map((e) => counts.push(`${e.key}=${e.value}`), 'Collect');
  const bad: string[] = [];
  errors.map((e) => (bad.push(e.error), e), 'Errors');
  const result = await p.run({ deferredGroupingElements: 2048 });
  const memory = (result.metrics as PipelineMetrics).memory!;
  return { counts: counts.sort(), bad, peak: memory.steps['Count']!.peakBytesInMemory };
}

test('files declared in time order: windows fire while reading, same counts, less memory held', async () => {
  const unordered = await run(undefined);
  const ordered = await run({ maxDelay: 2000 });
  assert.deepEqual(ordered.bad, []);
  assert.equal(unordered.counts.length, ordered.counts.length);
  assert.deepEqual(ordered.counts, unordered.counts);
  assert.ok(ordered.peak * 4 < unordered.peak, `peak with the declaration ${ordered.peak} B, without ${unordered.peak} B`);
});

test('a record further behind than the declared maxDelay goes to the errors with the reason', async () => {
  const strict = await run(true);
  assert.equal(strict.bad.length, Math.ceil(N / 97) - 1, 'every jittered record but the first (i = 0 is at 0)');
  assert.match(strict.bad[0]!, /event time .* is 1495 ms behind .* more than the declared maxDelay of 0 ms: the input is not in the declared time order/);
});

test('bad eventTime options are refused before the run, naming the option', () => {
  assert.throws(() => io.files.readJsonl('x.jsonl', { eventTime: { timestamp: 'at' as never } }), (e: unknown) => e instanceof ConfigError && /eventTime.timestamp must be a function/.test(e.message));
  assert.throws(() => io.files.readJsonl('x.jsonl', { eventTime: { timestamp: () => 0, ordered: { maxDelay: -1 } } }), (e: unknown) => e instanceof ConfigError && /maxDelay must be a number of milliseconds ≥ 0/.test(e.message));
  assert.throws(() => io.files.readJsonl('x.jsonl', { eventTime: { timestamp: () => 0, orderd: true } as never }), (e: unknown) => e instanceof ConfigError && /has no option 'orderd'/.test(e.message));
});
