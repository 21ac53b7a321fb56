import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobGraph } from '../api/types.ts';
import { elkInput, StepHistory, stepLook } from './graph-model.ts';

const metrics = (elementsOut: number, o: { errors?: number; watermark?: string | null } = {}) => ({ elementsIn: elementsOut, elementsOut, errors: o.errors ?? 0, droppedLate: 0, watermark: o.watermark ?? null });

function graph(outs: Record<string, number>, processed = 0): JobGraph {
  return {
    steps: Object.entries(outs).map(([name, out]) => ({ name, kind: 'ParDo', metrics: metrics(out) })),
    edges: [{ from: 'read', to: 'parse', kind: 'main', collection: 'c1' }, { from: 'parse', to: 'write', kind: 'main', collection: 'c2' }],
    progress: { elementsRead: processed, elementsProcessed: processed, deadLetters: 0, sourcesDone: 0, sources: 1, bytesEstimated: 0, phase: 'reading', at: '2026-12-07T16:00:00Z' },
    result: null,
  };
}

describe('job graph model', () => {
  it('gives ELK one node per step and one edge per known pair, duplicates and dangling edges dropped', () => {
    const g = graph({ read: 0, parse: 0, write: 0 });
    g.edges.push({ from: 'read', to: 'parse', kind: 'main', collection: 'c1' }, { from: 'parse', to: 'gone', kind: 'main', collection: 'c3' }, { from: 'read', to: 'parse', kind: 'side', collection: 'v' });
    const input = elkInput(g);
    assert.deepEqual(input.children.map((c) => c.id), ['read', 'parse', 'write']);
    assert.deepEqual(input.edges.map((e) => `${e.sources[0]}>${e.targets[0]}`), ['read>parse', 'parse>write', 'read>parse']);
    assert.equal(new Set(input.edges.map((e) => e.id)).size, 3);
    assert.ok(input.children.every((c) => c.width >= 150 && c.width <= 320));
    assert.equal(input.layoutOptions['elk.direction'], 'RIGHT');
  });

  it('computes throughput from the change between polls, and the whole job rate', () => {
    const h = new StepHistory(3);
    h.add(graph({ read: 100, parse: 50 }, 100), 1000);
    assert.equal(h.latestRate('read'), null);
    h.add(graph({ read: 600, parse: 300 }, 600), 3000);
    assert.equal(h.latestRate('read'), 250);
    assert.equal(h.latestRate('parse'), 125);
    assert.deepEqual(h.jobRates().map((r) => r.rate), [null, 250]);
    h.add(graph({ read: 600, parse: 300 }, 600), 4000);
    h.add(graph({ read: 700, parse: 300 }, 700), 5000);
    assert.equal(h.samples('read').length, 3, 'bounded');
    assert.deepEqual(h.samples('read').map((s) => s.rate), [250, 0, 100]);
    assert.deepEqual(h.samples('nope'), []);
  });

  it('measures watermark lag from the poll time', () => {
    const h = new StepHistory();
    const g = graph({ read: 1 });
    g.steps[0]!.metrics = metrics(1, { watermark: '2026-12-07T16:00:00.000Z' });
    h.add(g, Date.parse('2026-12-07T16:00:30.000Z'));
    assert.equal(h.samples('read')[0]!.lagMs, 30_000);
  });

  it('takes the server\'s live rate and lag when it gives them, and no rate from final counts', () => {
    const h = new StepHistory();
    const g = graph({ read: 10 });
    g.steps[0]!.metrics = { ...metrics(10), outPerSecond: 42, watermarkLagMs: 1500, live: true };
    h.add(g, 1000);
    assert.equal(h.latestRate('read'), 42);
    assert.equal(h.latestLag('read'), 1500);
    g.steps[0]!.metrics = { ...metrics(500), outPerSecond: null, watermarkLagMs: null, live: false };
    h.add(g, 2000);
    assert.equal(h.latestRate('read'), null, 'the final counts are no rate');
    assert.equal(h.latestLag('read'), null);
  });

  it('colours errors red, then lag, then throughput relative to the busiest, and steps without figures grey', () => {
    assert.equal(stepLook(null, null, 0, null).reason, 'no-figures');
    assert.equal(stepLook(metrics(5, { errors: 1 }), 10, 10, 0).reason, 'errors');
    assert.equal(stepLook(metrics(5), 10, 10, 5000).border, '#2f8f4e');
    assert.equal(stepLook(metrics(5), 10, 10, 30_000).border, '#c48a00');
    assert.equal(stepLook(metrics(5), 10, 10, 120_000).border, '#c9372c');
    assert.equal(stepLook(metrics(5), 0, 10, null).reason, 'idle');
    const busy = stepLook(metrics(5), 10, 10, null).fill;
    const quiet = stepLook(metrics(5), 1, 10, null).fill;
    assert.notEqual(busy, quiet);
    assert.equal(busy, 'hsl(214 80% 65%)');
  });
});
