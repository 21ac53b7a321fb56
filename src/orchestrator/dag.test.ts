import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dag } from './dag.ts';
import { chain, parallel } from './task.ts';
import { evaluateTriggerRule, type TriggerRule, type UpstreamCounts } from './trigger-rules.ts';

const base = { schedule: '@daily', startDate: '2024-01-01' } as const;
const noop = () => undefined;

describe('DAG model', () => {
  it('links with then, fan-out, fan-in, chain and groups', () => {
    const d = dag({ id: 'links', ...base });
    const [a, b, c, e, f] = ['a', 'b', 'c', 'e', 'f'].map((id) => d.task(id, noop));
    a!.then([b!, c!]);
    parallel([b!, c!]).then(e!);
    const g = d.group('checks', (g) => {
      const x = g.task('x', noop);
      x.then(g.task('y', noop));
      g.task('z', noop);
    });
    chain(e!, g, f!);
    const up = (id: string) => [...d.getTask(id).upstreamIds].sort();
    assert.deepEqual(up('e'), ['b', 'c']);
    assert.deepEqual(up('checks.x'), ['e']);
    assert.deepEqual(up('checks.z'), ['e']);
    assert.deepEqual(up('checks.y'), ['checks.x']);
    assert.deepEqual(up('f'), ['checks.y', 'checks.z']);
    assert.deepEqual(g.tasks.map((t) => t.id), ['checks.x', 'checks.y', 'checks.z']);
    assert.deepEqual(d.topologicalOrder().map((t) => t.id).slice(0, 1), ['a']);
  });

  it('TaskFlow inputs imply edges', () => {
    const d = dag({ id: 'flow', ...base });
    const rows = d.task('extract', () => [1, 2, 3]);
    const total = d.task('total', { inputs: { rows } }, ({ inputs }) => inputs.rows.reduce((s, n) => s + n, 0));
    const _typed: number = 0 as unknown as typeof total extends { __output?: infer T } ? NonNullable<T> : never;
    assert.deepEqual([...total.upstreamIds], ['extract']);
    assert.deepEqual(total.inputs, { rows: 'extract' });
  });

  it('names the cycle', () => {
    const d = dag({ id: 'loop', ...base });
    const [a, b, c] = ['a', 'b', 'c'].map((id) => d.task(id, noop));
    d.task('root', noop).then(a!);
    a!.then(b!).then(c!).then(a!);
    assert.throws(() => d.validate(), /dag 'loop' has a cycle: (a → b → c → a|b → c → a → b|c → a → b → c)/);
  });

  it('rejects duplicate ids, bad ids and bad options with hints', () => {
    const d = dag({ id: 'bad', ...base });
    d.task('a', noop);
    assert.throws(() => d.task('a', noop), /defined twice/);
    assert.throws(() => d.task('a b', noop), /invalid task or group id/);
    assert.throws(() => dag({ id: 'x', schedule: '@sometimes', startDate: '2024-01-01' }), /unknown schedule preset/);
    assert.throws(() => dag({ id: 'x', schedule: '61 * * * *', startDate: '2024-01-01' }), /cannot read schedule/);
    assert.throws(() => dag({ id: 'x', ...base, timezone: 'Mars/Olympus' }), /unknown time zone/);
    assert.throws(() => d.task('p', { pool: 'db', poolSlots: 0 }, noop), /dag 'bad': task 'p': poolSlots must be a positive integer, got 0/);
    assert.throws(() => d.task('q', { maxActiveInstances: 1.5 }, noop), /task 'q': maxActiveInstances must be a positive integer, got 1.5/);
    assert.throws(() => dag({ id: 'y', ...base, defaultArgs: { poolSlots: -1 } }).task('r', noop), /task 'r': poolSlots must be a positive integer, got -1/);
  });

  it('computes retry delays with exponential backoff and a cap', () => {
    const d = dag({ id: 'r', ...base, defaultArgs: { retries: 5, retryDelay: '1s', retryExponentialBackoff: true, maxRetryDelay: '5s' } });
    const t = d.task('t', noop);
    assert.deepEqual([1, 2, 3, 4].map((n) => t.retryDelayAfter(n)), [1000, 2000, 4000, 5000]);
    assert.equal(d.task('fixed', { retryExponentialBackoff: false }, noop).retryDelayAfter(3), 1000);
    assert.equal(t.maxTries, 6);
  });
});

describe('trigger rules', () => {
  const c = (o: Partial<UpstreamCounts> & { total: number }): UpstreamCounts => {
    const v = { success: 0, failed: 0, upstreamFailed: 0, skipped: 0, ...o };
    return { ...v, done: v.success + v.failed + v.upstreamFailed + v.skipped };
  };
  // rule → [all success, one failed, one skipped, all skipped, all failed, one success + pending]
  const table: Record<TriggerRule, string[]> = {
    all_success: ['run', 'upstream_failed', 'skip', 'skip', 'upstream_failed', 'wait'],
    all_failed: ['skip', 'skip', 'skip', 'skip', 'run', 'skip'],
    all_done: ['run', 'run', 'run', 'run', 'run', 'wait'],
    all_skipped: ['skip', 'skip', 'skip', 'run', 'skip', 'skip'],
    one_success: ['run', 'run', 'run', 'skip', 'upstream_failed', 'run'],
    one_failed: ['skip', 'run', 'skip', 'skip', 'run', 'wait'],
    one_done: ['run', 'run', 'run', 'skip', 'run', 'run'],
    none_failed: ['run', 'upstream_failed', 'run', 'run', 'upstream_failed', 'wait'],
    none_failed_min_one_success: ['run', 'upstream_failed', 'run', 'skip', 'upstream_failed', 'wait'],
    none_skipped: ['run', 'run', 'skip', 'skip', 'run', 'wait'],
    always: ['run', 'run', 'run', 'run', 'run', 'run'],
  };
  const cases = [
    c({ total: 2, success: 2 }), c({ total: 2, success: 1, failed: 1 }), c({ total: 2, success: 1, skipped: 1 }),
    c({ total: 2, skipped: 2 }), c({ total: 2, failed: 1, upstreamFailed: 1 }), c({ total: 2, success: 1 }),
  ];
  for (const [rule, expected] of Object.entries(table)) {
    it(rule, () => assert.deepEqual(cases.map((k) => evaluateTriggerRule(rule as TriggerRule, k)), expected));
  }
});
