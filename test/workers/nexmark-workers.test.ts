// The Nexmark queries through the engine on 2 worker threads equal their reference models (bench/nexmark/models), as
// on one worker (test/nexmark/queries.test.ts): batch (bounded source split across the workers, keyed stages
// exchanged by key) and streaming (a TestStream played in lockstep). npm test runs a few (QUICK);
// RIFFLE_WORKERS_FULL=1 runs every query, both scenarios, every feed (.ci/tiers/workers.sh).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { IntervalWindow, LocalRunner, Pipeline, type BoundedWindow, type Observed, type PaneInfo } from '../../src/index.ts';
import { queries } from '../../bench/nexmark/queries/index.ts';
import { models } from '../../bench/nexmark/models/index.ts';
import definition, { scenarioConfig, scenarioEvents, type ObservedLine } from './fixtures/nexmark-pipeline.ts';

const MODULE = resolve(import.meta.dirname, 'fixtures/nexmark-pipeline.ts');
const FULL = process.env.RIFFLE_WORKERS_FULL === '1';
const WORKERS = Number(process.env.RIFFLE_WORKERS_N ?? 2);
const root = mkdtempSync(join(tmpdir(), 'riffle-nexmark-workers-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Feed {
  readonly label: string;
  readonly feed: 'batch' | 'stream';
  readonly batchSize: number;
  readonly chunk: number;
}
const FEEDS: readonly Feed[] = [
  { label: 'batch', feed: 'batch', batchSize: 0, chunk: 0 },
  { label: 'batch, bundles of 777', feed: 'batch', batchSize: 777, chunk: 0 },
  { label: 'streaming, chunks of 500', feed: 'stream', batchSize: 0, chunk: 500 },
];
/** In npm test: keyed windows (Q5), a join (Q8) and sessions (Q11), streaming (batch on workers: workers.test.ts). */
const QUICK: ReadonlyArray<[number, string, string]> = [
  [5, '100 ev/s', 'streaming, chunks of 500'],
  [8, '100 ev/s', 'streaming, chunks of 500'],
  [11, '100 ev/s', 'streaming, chunks of 500'],
];

let runs = 0;

function windowOf(w: ObservedLine['window']): BoundedWindow {
  if (Array.isArray(w)) return new IntervalWindow(w[0], w[1]);
  return { key: w, maxTimestamp: Number.MAX_SAFE_INTEGER } as unknown as BoundedWindow;
}

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
    assert.fail(`${what}: ${actual.length} outputs vs ${expected.length} expected; ${missing.length} missing, e.g. ${JSON.stringify(missing.slice(0, 5))}; ${extra.length} unexpected, e.g. ${JSON.stringify(extra.slice(0, 5))}`);
  }
}

for (const q of queries) {
  for (const scenario of ['defaults', '100 ev/s']) {
    for (const f of FEEDS) {
      const quick = QUICK.some(([id, s, l]) => id === q.id && s === scenario && l === f.label);
      if (!FULL && !quick) continue;
      test(`Nexmark Q${q.id} on ${WORKERS} workers equals its model (${scenario}, ${f.label})`, async () => {
        const config = scenarioConfig(scenario === 'defaults' ? 'defaults' : '100');
        const events = scenarioEvents(config);
        const expected = models[q.id]!(events, config);
        const output = join(root, `run-${runs++}`);
        const logs = q.id === 10 ? join(output, 'logs') : '';
        const params = { query: q.id, scenario: scenario === 'defaults' ? 'defaults' : '100', feed: f.feed, batchSize: f.batchSize, chunk: f.chunk, output, outputPath: logs };
        const p = Pipeline.create();
        await definition.build(p, params);
        const result = await new LocalRunner().run(p.graph, { workers: WORKERS, pipelineModule: { path: MODULE, params } });
        assert.equal(result.state, 'DONE');
        assert.equal(result.deadLetterCount, 0);
        assert.equal(result.metrics.gauges.workers, WORKERS);
        const outs: Observed<unknown>[] = readdirSync(output)
          .filter((n) => n.startsWith('outputs-'))
          .flatMap((n) => readFileSync(join(output, n), 'utf8').split('\n').filter((l) => l !== ''))
          .map((l) => {
            const o = JSON.parse(l) as ObservedLine;
            return { value: o.value, timestamp: o.timestamp, window: windowOf(o.window), pane: o.pane as PaneInfo };
          });
        const actual = q.summarize ? q.summarize(outs) : outs.map(q.canonical);
        assertSameMultiset(actual, expected, `Q${q.id} ${scenario}, ${f.label}, ${WORKERS} workers`);
        if (logs !== '') {
          const lines = readdirSync(logs)
            .filter((n) => n.startsWith('LOG'))
            .flatMap((n) => readFileSync(join(logs, n), 'utf8').split('\n').filter((l) => l.length > 0));
          assert.equal(lines.length, events.length, 'the log files hold every event once');
        }
      });
    }
  }
}
