/**
 * A set of log offsets kept as sorted, disjoint, half-open ranges [start, end): what a subscription has acknowledged.
 * A fully acked prefix is one range, so the set stays as small as the number of gaps (outstanding messages).
 */
export class OffsetSet {
  /** Flattened [start0, end0, start1, end1, ...], sorted, disjoint and non-adjacent. */
  private r: number[] = [];

  static fromRanges(ranges: ReadonlyArray<readonly [number, number]>): OffsetSet {
    const s = new OffsetSet();
    for (const [a, b] of ranges) s.addRange(a, b);
    return s;
  }

  /** The ranges, as [start, end) pairs. */
  ranges(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.r.length; i += 2) out.push([this.r[i]!, this.r[i + 1]!]);
    return out;
  }

  clone(): OffsetSet {
    const s = new OffsetSet();
    s.r = this.r.slice();
    return s;
  }

  /** Index (even) of the first range whose end is > x, i.e. the range holding x or the one after it. */
  private find(x: number): number {
    let lo = 0;
    let hi = this.r.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.r[mid * 2 + 1]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo * 2;
  }

  has(x: number): boolean {
    const i = this.find(x);
    return i < this.r.length && this.r[i]! <= x;
  }

  add(x: number): void {
    this.addRange(x, x + 1);
  }

  /** Adds [a, b). */
  addRange(a: number, b: number): void {
    if (b <= a) return;
    // First range with end >= a (touching or overlapping on the left).
    let i = this.find(a - 1);
    if (i < this.r.length && this.r[i + 1]! < a) i += 2;
    let j = i;
    let start = a;
    let end = b;
    while (j < this.r.length && this.r[j]! <= b) {
      start = Math.min(start, this.r[j]!);
      end = Math.max(end, this.r[j + 1]!);
      j += 2;
    }
    this.r.splice(i, j - i, start, end);
  }

  /** Removes [a, b). */
  removeRange(a: number, b: number): void {
    if (b <= a) return;
    const out: number[] = [];
    for (let i = 0; i < this.r.length; i += 2) {
      const s = this.r[i]!;
      const e = this.r[i + 1]!;
      if (e <= a || s >= b) out.push(s, e);
      else {
        if (s < a) out.push(s, a);
        if (e > b) out.push(b, e);
      }
    }
    this.r = out;
  }

  /** The smallest offset ≥ x that is not in the set. */
  nextAbsent(x: number): number {
    const i = this.find(x);
    return i < this.r.length && this.r[i]! <= x ? this.r[i + 1]! : x;
  }

  /** How many offsets of [a, b) are in the set. */
  countIn(a: number, b: number): number {
    let n = 0;
    for (let i = this.find(a); i < this.r.length && this.r[i]! < b; i += 2) n += Math.min(b, this.r[i + 1]!) - Math.max(a, this.r[i]!);
    return n;
  }

  get rangeCount(): number {
    return this.r.length / 2;
  }
}
