import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { combineFns } from './index.ts';
import { CombineInputError } from './number-input.ts';

const fold = <I>(fn: { createAccumulator(): any; addInput(a: any, i: I): any; extractOutput(a: any): unknown }, xs: I[]) => fn.extractOutput(xs.reduce((a, x) => fn.addInput(a, x), fn.createAccumulator()));

describe('combiners refuse inputs they cannot combine', () => {
  it('sum and mean refuse a non-number, naming it (no string concatenation)', () => {
    assert.equal(fold(combineFns.sum(), [1, 2, 3]), 6);
    assert.throws(() => fold(combineFns.sum((r: { ms: unknown }) => r.ms as number), [{ ms: 1 }, { ms: '12' }]), (e: Error) => e instanceof CombineInputError && /^sum expects numbers, got the string "12" \(convert it/.test(e.message));
    assert.throws(() => fold(combineFns.sum(), ['1' as unknown as number]), CombineInputError);
    assert.throws(() => fold(combineFns.mean((r: { x?: number }) => r.x!), [{}]), /mean expects numbers, got undefined \(is the field name right\?\)/);
    assert.throws(() => fold(combineFns.sum(), [5n as unknown as number]), /use sumBigInt/);
    assert.throws(() => fold(combineFns.sumBigInt(), [1 as unknown as bigint]), /sumBigInt expects bigints, got the number 1/);
    assert.ok(Number.isNaN(fold(combineFns.sum(), [1, NaN]) as number), 'NaN is a number: it propagates as before');
  });

  it('min and max refuse a mix of kinds and missing values without a comparator', () => {
    assert.equal(fold(combineFns.max(), [3, 10, 9]), 10);
    assert.equal(fold(combineFns.min((s: string) => s), ['b', 'a']), 'a');
    assert.throws(() => fold(combineFns.max((r: { v: unknown }) => r.v as number), [{ v: 9 }, { v: '10' }]), /max expects values of one kind \(the first was the number 9\), got the string "10"/);
    assert.throws(() => fold(combineFns.min(), [undefined as unknown as number]), /min expects numbers, strings, bigints or dates/);
    const d = [new Date(5), new Date(2)];
    assert.equal(fold(combineFns.min((x: Date) => x as unknown as number), d), d[1]);
    // A comparator decides for itself.
    assert.deepEqual(fold(combineFns.max((a: { p: number }, b: { p: number }) => a.p - b.p), [{ p: 1 }, { p: 2 }]), { p: 2 });
  });

  it('topN and bottomN without a comparator refuse a mix of kinds', () => {
    assert.deepEqual(fold(combineFns.topN(2), [1, 5, 3]), [5, 3]);
    assert.throws(() => fold(combineFns.topN(2), [1, '5' as unknown as number]), /topN expects values of one kind \(the first was the number 1\), got the string "5"/);
    assert.throws(() => fold(combineFns.bottomN(2), [null as unknown as number]), /bottomN expects numbers, strings, bigints or dates/);
    assert.deepEqual(fold(combineFns.topN(1, (a: { p: number }, b: { p: number }) => a.p - b.p), [{ p: 1 }, { p: 2 }]), [{ p: 2 }]);
  });

  it('approximateQuantiles refuses what the natural order cannot sort', () => {
    assert.deepEqual(fold(combineFns.approximateQuantiles(2), [3, 1, 2]), [1, 3]);
    assert.throws(() => fold(combineFns.approximateQuantiles(2), [1, { x: 1 } as unknown as number]), /approximateQuantiles expects numbers, strings, bigints or dates/);
  });
});
