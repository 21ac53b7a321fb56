// Every Nexmark query's output on the embedded engine equals its reference model (bench/nexmark/models) on 10,000
// events of the Beam-faithful generator: in batch (bounded source), with other bundle sizes, and in streaming (TestStream delivering the events in
// chunks, with watermark steps that never pass an undelivered event, and processing time moving on).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTimestamped, parDo, Pipeline, testStream, type Observed, type PCollection } from '../../src/index.ts';
import { eventTimestamp, type NexmarkEvent } from '../../bench/nexmark/model.ts';
import { generateEvents } from '../../bench/nexmark/generator.ts';
import { queries, defaultQueryConfig, queryConfig, type NexmarkQuery, type NexmarkQueryConfig } from '../../bench/nexmark/queries/index.ts';
import { models, type TimestampedEvent } from '../../bench/nexmark/models/index.ts';

const NUM_EVENTS = 10_000;

interface Scenario {
  readonly label: string;
  readonly config: NexmarkQueryConfig;
  /** Beam's batch event stream for the configuration (split over its generators), with each event's timestamp. */
  readonly events: TimestampedEvent[];
  /** The same events in timestamp order (stable), for streaming delivery. */
  readonly byTime: TimestampedEvent[];
}

function scenario(label: string, config: NexmarkQueryConfig): Scenario {
  const events = generateEvents(config, NUM_EVENTS).map((e) => ({ value: e, timestamp: eventTimestamp(e) }));
  return { label, config, events, byTime: events.slice().sort((a, b) => a.timestamp - b.timestamp) };
}

const scenarios = [
  // Beam's defaults: 10,000 events/s over 100 generators, so 10,000 events span one second of event time.
  scenario('defaults', defaultQueryConfig),
  // 100 events/s over 10 parallel generators: 100 s of event time, many windows, sessions and closed auctions.
  scenario('100 ev/s', queryConfig({ numEventGenerators: 10, firstEventRate: 100, nextEventRate: 100 })),
];

type Feed = { kind: 'batch'; batchSize?: number } | { kind: 'stream'; chunk: number; processingStepMs: number };

function source(p: Pipeline, sc: Scenario, feed: Feed): PCollection<NexmarkEvent> {
  if (feed.kind === 'batch') return p.apply(createTimestamped(sc.events, feed.batchSize === undefined ? {} : { batchSize: feed.batchSize }));
  // The lowest timestamp still to come, after each chunk: the watermark may move up to it.
  const all = sc.byTime;
  const minFrom = new Array<number>(all.length + 1).fill(Infinity);
  for (let i = all.length - 1; i >= 0; i--) minFrom[i] = Math.min(minFrom[i + 1]!, all[i]!.timestamp);
  let ts = testStream<NexmarkEvent>();
  for (let i = 0; i < all.length; i += feed.chunk) {
    ts = ts.addElements(...all.slice(i, i + feed.chunk));
    const next = minFrom[Math.min(i + feed.chunk, all.length)]!;
    if (Number.isFinite(next)) ts = ts.advanceWatermarkTo(next);
    ts = ts.advanceProcessingTime(feed.processingStepMs);
  }
  return p.apply(ts.advanceWatermarkToInfinity());
}

async function run<R>(q: NexmarkQuery<R>, sc: Scenario, feed: Feed, config: NexmarkQueryConfig): Promise<Observed<R>[]> {
  const p = Pipeline.create();
  const seen: Observed<R>[] = [];
  q.build(source(p, sc, feed), config).apply(
    'Collect',
    parDo<R, never>({
      process(value, ctx) {
        seen.push({ value, timestamp: ctx.timestamp, window: ctx.window, pane: ctx.pane });
      },
    }),
  );
  const result = await p.run();
  assert.equal(result.state, 'DONE');
  assert.deepEqual(result.deadLetters, []);
  return seen;
}

/** Compares two multisets of strings, reporting a few differences of each kind. */
function assertSameMultiset(actual: string[], expected: string[], what: string): void {
  const counts = new Map<string, number>();
  for (const s of expected) counts.set(s, (counts.get(s) ?? 0) + 1);
  const extra: string[] = [];
  for (const s of actual) {
    const n = counts.get(s) ?? 0;
    if (n === 0) extra.push(s);
    else counts.set(s, n - 1);
  }
  const missing = [...counts].flatMap(([s, n]) => Array<string>(n).fill(s));
  if (extra.length > 0 || missing.length > 0) {
    assert.fail(
      `${what}: ${actual.length} outputs vs ${expected.length} expected; ` +
        `${missing.length} missing, e.g. ${JSON.stringify(missing.slice(0, 5))}; ${extra.length} unexpected, e.g. ${JSON.stringify(extra.slice(0, 5))}`,
    );
  }
}

const feeds: Array<{ label: string; feed: Feed }> = [
  { label: 'batch', feed: { kind: 'batch' } },
  { label: 'batch, bundles of 1', feed: { kind: 'batch', batchSize: 1 } },
  { label: 'batch, bundles of 777', feed: { kind: 'batch', batchSize: 777 } },
  { label: 'streaming, chunks of 500', feed: { kind: 'stream', chunk: 500, processingStepMs: 4_000 } },
];

for (const q of queries) {
  test(`Nexmark Q${q.id} (${q.name}) equals its model on ${NUM_EVENTS} events, in batch and streaming`, async (t) => {
    for (const sc of scenarios) {
      const expected = models[q.id]!(sc.events, sc.config);
      assert.ok(expected.length > 0, `Q${q.id}'s model gives no results on the ${sc.label} events`);
      for (const { label, feed } of feeds) {
        await t.test(`${sc.label}: ${label}`, async () => {
          const dir = q.id === 10 ? mkdtempSync(join(tmpdir(), 'riffle-nexmark-q10-')) : undefined;
          try {
            const config = dir === undefined ? sc.config : { ...sc.config, outputPath: dir };
            const outs = await run(q, sc, feed, config);
            const actual = q.summarize ? q.summarize(outs) : outs.map(q.canonical);
            assertSameMultiset(actual, expected, `Q${q.id} ${sc.label}, ${label}`);
            if (dir !== undefined) {
              // The log files hold every event once.
              const lines = readdirSync(dir)
                .filter((f) => f.startsWith('LOG'))
                .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l.length > 0));
              assert.equal(lines.length, sc.events.length);
            }
          } finally {
            if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
          }
        });
      }
    }
  });
}
