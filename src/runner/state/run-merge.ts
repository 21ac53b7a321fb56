/**
 * The k-way merge of sorted runs: a binary heap of cursors ordered by (key, run age), so records of one key come out
 * together and in the order their runs were written (older first), which keeps each key's values in arrival order.
 * @example
 *   const m = new RunMerger(runs.map((r) => r.cursor()));
 *   for (let key = m.nextKey(); key !== undefined; key = m.nextKey()) {
 *     while (m.nextRecord()) use(m.cursor!.payload());   // every run's record of `key`, oldest run first
 *   }
 */
import type { RunCursor } from './run-file.ts';

export class RunMerger {
  private readonly heap: number[] = [];
  private current: string | undefined;
  /** The cursor positioned on the record `nextRecord()` returned. */
  cursor: RunCursor | undefined;
  private pendingAdvance: number = -1;

  constructor(private readonly cursors: RunCursor[]) {
    for (let i = 0; i < cursors.length; i++) if (cursors[i]!.next()) this.push(i);
  }

  /** Moves to the next distinct key (skipping any record of the current key not yet read); undefined at the end. */
  nextKey(): string | undefined {
    this.advancePending();
    if (this.current !== undefined) while (this.nextRecord());
    this.advancePending();
    const top = this.heap[0];
    this.current = top === undefined ? undefined : this.cursors[top]!.key;
    return this.current;
  }

  /** Positions `cursor` on the next record of the current key (oldest run first); false when there is none. */
  nextRecord(): boolean {
    this.advancePending();
    const top = this.heap[0];
    if (top === undefined || this.cursors[top]!.key !== this.current) {
      this.cursor = undefined;
      return false;
    }
    this.cursor = this.cursors[top]!;
    this.pendingAdvance = top;
    return true;
  }

  /** The run (index into the cursors given) of the record `nextRecord()` returned. */
  get runIndex(): number {
    return this.pendingAdvance;
  }

  private advancePending(): void {
    const i = this.pendingAdvance;
    if (i < 0) return;
    this.pendingAdvance = -1;
    this.pop();
    if (this.cursors[i]!.next()) this.push(i);
  }

  private less(a: number, b: number): boolean {
    const ka = this.cursors[a]!.key;
    const kb = this.cursors[b]!.key;
    return ka < kb || (ka === kb && a < b);
  }

  private push(i: number): void {
    const h = this.heap;
    h.push(i);
    let c = h.length - 1;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (!this.less(h[c]!, h[p]!)) break;
      [h[c], h[p]] = [h[p]!, h[c]!];
      c = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let p = 0;
    for (;;) {
      const l = 2 * p + 1;
      const r = l + 1;
      let m = p;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === p) return;
      [h[m], h[p]] = [h[p]!, h[m]!];
      p = m;
    }
  }
}
