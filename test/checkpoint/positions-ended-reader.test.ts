import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRunner, Pipeline, read, writeTo, type Sink, type UnboundedSource } from '../../src/index.ts';
import { openBus, read as busRead } from '../../src/io/bus/index.ts';
import { twoPhaseDirSink } from './fixtures/kill-pipeline.ts';

/**
 * An unbounded reader that ends (a count, `until: 'drained'`) in a checkpointed run: the checkpoint that holds its
 * end acknowledges its last position upstream (it was closed before the final checkpoint, so the input read after
 * the last periodic checkpoint was never acknowledged).
 */

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'riffle-ended-'));
}

function published(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => !f.startsWith('.')).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== ''));
}

test('a reader that ends is finalized at its last position, then closed (after the final checkpoint, not before)', async () => {
  const dir = tmp();
  try {
    const events: string[] = [];
    const source: UnboundedSource<string, number> = {
      kind: 'unbounded',
      describe: () => 'counter',
      async open(position) {
        let next = position ?? 0;
        return {
          async next() {
            if (next >= 300) return null;
            await new Promise((r) => setTimeout(r, 1));
            const values: string[] = [];
            for (const end = next + 30; next < end; next++) values.push(`v${next}`);
            return { values, timestamps: values.map(() => 0) };
          },
          position: () => next,
          watermark: () => (next >= 300 ? Infinity : 0),
          async finalizeCheckpoint(p: number) {
            events.push(`finalize ${p}`);
          },
          async close() {
            events.push('close');
          },
        };
      },
    };
    const p = Pipeline.create();
    p.apply(read(source)).apply(writeTo(twoPhaseDirSink(join(dir, 'out'))));
    const r = await new LocalRunner().run(p.graph, { workers: 1, checkpointDir: join(dir, 'ck'), checkpointIntervalMs: 5, log: () => {}, pollIntervalMs: 1 });
    assert.equal(r.state, 'DONE');
    assert.equal(published(join(dir, 'out')).length, 300);
    assert.deepEqual(events.slice(-2), ['finalize 300', 'close'], events.join(', '));
    assert.equal(events.filter((e) => e === 'finalize 300').length, 1, 'the end is acknowledged once');
    assert.equal(events.filter((e) => e === 'close').length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const bound of ['maxMessages', 'until'] as const) {
  test(`io.bus.read bounded by ${bound === 'until' ? "until: 'drained'" : 'a count'} in a checkpointed run acks everything it read`, async () => {
    const dir = tmp();
    const bus = await openBus({ dir: join(dir, 'bus'), fsync: 'never' });
    try {
      await bus.createTopic('readings');
      await bus.createSubscription('archive', { topic: 'readings', ackDeadline: '60s' });
      await bus.publish('readings', Array.from({ length: 500 }, (_, i) => ({ data: String(i) })));
      const p = Pipeline.create();
      p.apply(busRead<number>('archive', { bus, batchSize: 7, ...(bound === 'until' ? { until: 'drained' as const } : { maxMessages: 400 }) }))
        .map((n: number) => String(n))
        .apply(writeTo(twoPhaseDirSink(join(dir, 'out'))));
      const r = await new LocalRunner().run(p.graph, { workers: 1, checkpointDir: join(dir, 'ck'), checkpointIntervalMs: 10_000, log: () => {}, pollIntervalMs: 1 });
      assert.equal(r.state, 'DONE');
      const read = bound === 'until' ? 500 : 400;
      assert.equal(published(join(dir, 'out')).length, read);
      // Only the final checkpoint completed (10 s interval): it acknowledges what the read took.
      const backlog = (await bus.stats({ subscription: 'archive' })).subscriptions[0]!.backlogMessages;
      assert.equal(backlog, 500 - read);
    } finally {
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('io.bus.read that ended, then a crash before the final checkpoint completed: nothing was acked, the resumed run reads it all', async () => {
  const dir = tmp();
  const bus = await openBus({ dir: join(dir, 'bus'), fsync: 'never' });
  try {
    await bus.createTopic('readings');
    await bus.createSubscription('archive', { topic: 'readings', ackDeadline: '60s' });
    await bus.publish('readings', Array.from({ length: 300 }, (_, i) => ({ data: String(i) })));
    /** The two-phase sink, whose first prepareCommit (the final checkpoint's: the interval is long) throws once. */
    let crash = true;
    const crashing = (out: string): Sink<string> => {
      const inner = twoPhaseDirSink(out);
      return {
        ...inner,
        async open(ctx) {
          const w = await inner.open(ctx);
          return {
            ...w,
            async prepareCommit(id: number) {
              if (crash) {
                crash = false;
                throw new Error('injected crash in the final checkpoint');
              }
              return w.prepareCommit!(id);
            },
          };
        },
      };
    };
    const build = () => {
      const p = Pipeline.create();
      p.apply(busRead<number>('archive', { bus, batchSize: 9, until: 'drained' }))
        .map((n: number) => String(n))
        .apply(writeTo(crashing(join(dir, 'out'))));
      return p;
    };
    const options = { workers: 1, checkpointDir: join(dir, 'ck'), checkpointIntervalMs: 60_000, log: () => {}, pollIntervalMs: 1, restart: { kind: 'none' as const, maxRestarts: 0 } };
    await assert.rejects(new LocalRunner().run(build().graph, options), /injected crash/);
    assert.equal((await bus.stats({ subscription: 'archive' })).subscriptions[0]!.backlogMessages, 300, 'nothing acked before a checkpoint completed');
    const r = await new LocalRunner().run(build().graph, { ...options, resume: true });
    assert.equal(r.state, 'DONE');
    assert.deepEqual(published(join(dir, 'out')).map(Number).sort((a, b) => a - b), Array.from({ length: 300 }, (_, i) => i));
    assert.equal((await bus.stats({ subscription: 'archive' })).subscriptions[0]!.backlogMessages, 0);
  } finally {
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
