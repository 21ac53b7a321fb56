import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IntervalWindow, triggers, windowFns, windowingStrategy, type Trigger, type WindowingStrategy } from '../../model/index.ts';
import { TriggerTester } from '../trigger-tester.ts';
import { triggerStateMachine, isOnceTrigger } from './trigger-state-machine.ts';

const fixed10 = (trigger: Trigger, opts: Partial<Parameters<typeof windowingStrategy>[1]> = {}): WindowingStrategy =>
  windowingStrategy(windowFns.fixed(10), { trigger, accumulation: 'discarding', ...opts });

const values = (t: TriggerTester<number, number[]>) => t.extractOutput().map((o) => [...o.value].sort((a, b) => a - b));

describe('trigger state machines', () => {
  it('afterCount fires once at the count, then the window is closed', () => {
    const t = TriggerTester.buffering<number>(fixed10(triggers.afterCount(2)));
    t.injectElements(1);
    assert.deepEqual(values(t), []);
    t.injectElements(2);
    const [pane] = t.extractOutput();
    assert.deepEqual(pane!.value, [1, 2]);
    assert.equal(pane!.pane.isLast, true);
    t.injectElements(3);
    assert.equal(t.dropped['closed-window'], 1);
    t.advanceInputWatermark(100);
    assert.deepEqual(values(t), []);
    t.assertCleared();
  });

  it('afterProcessingTime fires delay after the first element, aligned to a period', () => {
    const trig = triggers.repeatedly(triggers.afterProcessingTime(3, { alignTo: 10, alignOffset: 2 }));
    const t = TriggerTester.buffering<number>(fixed10(trig));
    t.advanceProcessingTime(4);
    t.injectElements(1); // 4 + 3 = 7, aligned up to 12
    t.advanceProcessingTime(11);
    assert.deepEqual(values(t), []);
    t.advanceProcessingTime(12);
    assert.deepEqual(values(t), [[1]]);
    t.injectElements(2); // 12 + 3 = 15 -> 22
    t.advanceProcessingTime(22);
    assert.deepEqual(values(t), [[2]]);
    t.advanceInputWatermark(100);
    assert.deepEqual(values(t), [[]]); // the empty ON_TIME pane (onTimeBehavior fireAlways)
    t.assertCleared();
  });

  it('afterSynchronizedProcessingTime fires when processing time passes the first element', () => {
    const t = TriggerTester.buffering<number>(fixed10(triggers.afterSynchronizedProcessingTime()));
    t.advanceProcessingTime(5);
    t.injectElements(1, 2);
    assert.deepEqual(values(t), [[1, 2]]);
  });

  it('afterWatermark sets an event-time timer at the end of the window and fires once', () => {
    const t = TriggerTester.buffering<number>(fixed10(triggers.afterWatermark(), { allowedLateness: 10 }));
    t.injectElements(1, 5);
    assert.ok([...t.timers.pending.values()].some((x) => x.domain === 'event' && x.timestamp === 9));
    t.advanceInputWatermark(9);
    assert.deepEqual(values(t), []);
    t.advanceInputWatermark(10);
    const [pane] = t.extractOutput();
    assert.equal(pane!.pane.timing, 'ON_TIME');
    assert.equal(pane!.pane.isLast, true);
    t.injectElements(3); // closed until GC at 19
    assert.equal(t.dropped['closed-window'], 1);
    t.advanceInputWatermark(20);
    t.assertCleared();
  });

  it('never fires; the window is flushed at garbage collection', () => {
    const t = TriggerTester.buffering<number>(fixed10(triggers.never()));
    t.injectElements(1);
    t.advanceInputWatermark(10);
    assert.deepEqual(values(t), [[1]]);
    t.assertCleared();
  });

  it('afterFirst fires on whichever sub-trigger is ready first', () => {
    const trig = triggers.repeatedly(triggers.afterFirst(triggers.afterCount(2), triggers.afterProcessingTime(5)));
    const t = TriggerTester.buffering<number>(fixed10(trig));
    t.injectElements(1, 2);
    assert.deepEqual(values(t), [[1, 2]]);
    t.injectElements(3);
    t.advanceProcessingTime(5);
    assert.deepEqual(values(t), [[3]]);
  });

  it('afterAll waits for every sub-trigger', () => {
    const t = TriggerTester.buffering<number>(fixed10(triggers.afterAll(triggers.afterCount(2), triggers.afterProcessingTime(5))));
    t.advanceProcessingTime(5);
    t.injectElements(1);
    t.advanceProcessingTime(10);
    assert.deepEqual(values(t), []);
    t.injectElements(2);
    assert.deepEqual(values(t), [[1, 2]]);
  });

  it('afterEach runs its sub-triggers in order', () => {
    const t = TriggerTester.buffering<number>(fixed10(triggers.afterEach(triggers.afterCount(1), triggers.afterCount(2))));
    t.injectElements(1);
    t.injectElements(2);
    t.injectElements(3);
    assert.deepEqual(values(t), [[1], [2, 3]]);
  });

  it('orFinally stops repeating when until fires', () => {
    const trig = triggers.orFinally(triggers.repeatedly(triggers.afterCount(1)), triggers.afterProcessingTime(10));
    const t = TriggerTester.buffering<number>(fixed10(trig));
    t.injectElements(1);
    t.injectElements(2);
    t.advanceProcessingTime(10);
    t.injectElements(3);
    const out = t.extractOutput();
    assert.deepEqual(out.map((o) => o.value), [[1], [2]]);
    assert.equal(t.dropped['closed-window'], 1);
  });

  it('early firings of a merging window add up across the merge', () => {
    const s = windowingStrategy(windowFns.sessions(10), {
      trigger: triggers.afterWatermark({ early: triggers.afterCount(3) }),
      accumulation: 'accumulating',
    });
    const t = TriggerTester.buffering<number>(s);
    t.injectElements(1);
    t.injectElements(15);
    t.injectElements(18); // [15, 28): 2 elements
    assert.deepEqual(values(t), []);
    t.injectElements(8); // bridges: [1, 28) with 4 elements
    const [pane] = t.extractOutput();
    assert.deepEqual(pane!.window, new IntervalWindow(1, 28));
    assert.deepEqual([...pane!.value].sort((a, b) => a - b), [1, 8, 15, 18]);
    t.advanceInputWatermark(100);
    assert.equal(t.extractOutput().length, 1);
    t.assertCleared();
  });

  describe('validation', () => {
    it('rejects repeating early/late firings, afterFirst/afterAll members and until', () => {
      assert.throws(() => triggerStateMachine(triggers.afterWatermark({ early: triggers.repeatedly(triggers.afterCount(1)) })), /early firings must be a trigger that fires at most once/);
      assert.throws(() => triggerStateMachine(triggers.afterFirst(triggers.default())), TypeError);
      assert.throws(() => triggerStateMachine(triggers.orFinally(triggers.afterCount(1), triggers.repeatedly(triggers.afterCount(1)))), /OrFinally until/);
    });
    it('rejects bad counts, delays and empty composites', () => {
      assert.throws(() => triggerStateMachine({ kind: 'afterCount', count: 0 }), RangeError);
      assert.throws(() => triggerStateMachine({ kind: 'afterProcessingTime', delay: -1 }), RangeError);
      assert.throws(() => triggerStateMachine({ kind: 'afterAll', triggers: [] }), RangeError);
    });
    it('knows which triggers fire at most once', () => {
      assert.equal(isOnceTrigger(triggers.afterFirst(triggers.afterCount(1), triggers.afterWatermark())), true);
      assert.equal(isOnceTrigger(triggers.afterWatermark({ early: triggers.afterCount(1) })), false);
      assert.equal(isOnceTrigger(triggers.afterEach(triggers.afterCount(1))), false);
    });
  });
});
