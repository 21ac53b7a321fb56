// The job event stream: the graph of a built pipeline (steps and main/side edges), throttled progress, the result
// with the last progress, and a reader that skips a torn last line.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { create, parDo, Pipeline, view } from '../index.ts';
import type { PipelineResult } from '../model/index.ts';
import { graphOf, openJobEvents, parseJobEvents, type JobProgress } from './job-events.ts';

const dir = mkdtempSync(join(tmpdir(), 'riffle-job-events-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function pipeline(): Pipeline {
  const p = Pipeline.create();
  const numbers = p.apply('Numbers', create([1, 2, 3]));
  const total = p.apply('Total', create([6])).apply(view.asSingleton<number>());
  numbers.apply(parDo.of<number, number>()({ sideInputs: { total }, process(n, ctx) { ctx.output(n / ctx.side.total); } }, 'Share'));
  return p;
}

const progress = (elementsRead: number): JobProgress => ({ elementsRead, sourcesDone: 0, sources: 1, bytesEstimated: 0, phase: 'reading', elementsProcessed: elementsRead * 2, deadLetters: 0 });

describe('job events', () => {
  it('describes the graph: every step, main edges and side-input edges', () => {
    const { steps, edges } = graphOf(pipeline().graph);
    assert.deepEqual(steps.map((s) => [s.name, s.kind]), [['Numbers', 'read'], ['Total', 'read'], ['AsSingleton', 'view'], ['Share', 'parDo']]);
    assert.deepEqual(edges.map((e) => [e.from, e.to, e.kind]), [['Total', 'AsSingleton', 'main'], ['Numbers', 'Share', 'main'], ['AsSingleton', 'Share', 'side']]);
  });

  it('writes the graph at once, throttles progress, and ends with the result and the last progress', () => {
    const file = join(dir, 'events.jsonl');
    let t = 1000;
    const w = openJobEvents(file, pipeline().graph, () => t);
    w.progress(progress(1));
    t += 100;
    w.progress(progress(2)); // within 250 ms: not written
    t += 300;
    w.progress(progress(3));
    t += 10;
    w.progress(progress(4)); // throttled away, but the result carries it
    w.result({ state: 'DONE', durationMs: 410, metrics: { steps: [{ step: 'Share', kind: 'parDo', elementsIn: 3, elementsOut: 3, droppedLate: 0, errors: 0 }], counters: {}, distributions: {}, gauges: {} }, deadLetters: [] } as unknown as PipelineResult);
    const events = parseJobEvents(readFileSync(file, 'utf8'));
    assert.deepEqual(events.map((e) => e.type), ['graph', 'progress', 'progress', 'result']);
    assert.deepEqual(events.filter((e) => e.type === 'progress').map((e) => (e.type === 'progress' ? e.elementsRead : -1)), [1, 3]);
    const result = events[3]!;
    assert.ok(result.type === 'result');
    assert.deepEqual([result.state, result.elementsRead, result.elementsProcessed, result.steps[0]!.elementsOut], ['DONE', 4, 8, 3]);
  });

  it('skips a torn last line', () => {
    const file = join(dir, 'torn.jsonl');
    appendFileSync(file, `${JSON.stringify({ type: 'progress', at: 1, ...progress(5) })}\n{"type":"resu`);
    assert.deepEqual(parseJobEvents(readFileSync(file, 'utf8')).map((e) => e.type), ['progress']);
  });
});
