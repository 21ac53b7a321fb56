// A TestStream in lockstep on 2 workers: every worker runs the script's onEventDone(i) before any worker plays event
// i+1. (It ran in a worker only when that worker took the next command: an element of event i+1 read by another worker
// and crossing the exchange could reach it first, and its pane counted in event i — the flaky
// after_any_count_or_processing_time transcript on 2 workers.) Each event's elements here cross to the other worker,
// readers alternating, so every event is a chance for that race.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, it } from 'node:test';
import { LocalRunner, Pipeline } from '../../src/index.ts';
import definition from './fixtures/lockstep-pipeline.ts';

const MODULE = resolve(import.meta.dirname, 'fixtures/lockstep-pipeline.ts');
const root = mkdtempSync(join(tmpdir(), 'riffle-lockstep-'));
after(() => rmSync(root, { recursive: true, force: true }));

it('every pane of a TestStream on 2 workers fires in the event its elements belong to', async () => {
  const events = Number(process.env.RIFFLE_LOCKSTEP_EVENTS ?? 150);
  const keys = 8;
  const params = { events, keys, output: join(root, 'out') };
  const p = Pipeline.create();
  await definition.build(p, params);
  const result = await new LocalRunner().run(p.graph, { workers: 2, pipelineModule: { path: MODULE, params } });
  assert.equal(result.state, 'DONE');
  assert.equal(result.metrics.gauges.workers, 2);
  const seen = new Map<number, number>();
  const wrong: string[] = [];
  for (const f of readdirSync(params.output).filter((n) => n.startsWith('panes-'))) {
    for (const line of readFileSync(join(params.output, f), 'utf8').split('\n')) {
      if (line === '') continue;
      const o = JSON.parse(line) as { key: string; values: number[]; current: number };
      for (const v of o.values) {
        seen.set(v, (seen.get(v) ?? 0) + 1);
        if (v !== o.current) wrong.push(`${o.key}: element of event ${v} fired while its worker was on event ${o.current}`);
      }
    }
  }
  assert.deepEqual(wrong, []);
  for (let e = 0; e < events; e++) assert.equal(seen.get(e), keys, `event ${e}: ${seen.get(e) ?? 0} of ${keys} elements fired`);
});
