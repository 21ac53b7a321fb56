/**
 * Aggregates OVER a ROWS frame — `AVG(x) OVER (PARTITION BY k ORDER BY t ROWS BETWEEN n PRECEDING AND CURRENT ROW)`
 * — compiled to keyed state: the rows are keyed by the PARTITION BY values (so each partition lives on one worker),
 * and each partition keeps its last n + 1 rows by ORDER BY (never more). Each arriving row is placed in that order
 * and emitted at once with the aggregates of the partition's last n + 1 rows.
 *
 * When rows arrive in ORDER BY order (e.g. ordered by an event time that the input delivers in order), that frame is
 * SQL's frame of the row itself. A row that arrives after rows later in ORDER BY order gets the frame that ends at
 * the partition's latest row, which it may now belong to (the result for the partition as known so far, as Beam's
 * Nexmark Q6 emits it); a partition's last output always covers its last n + 1 rows of all. Rows that sort equal keep
 * their arrival order. The rows leave their windows: a partition spans all of them (the global window).
 */
import { PCollection, windowFns, type BoundedWindow, type KV } from '../../model/index.ts';
import { parDo, state, windowInto, type CombineFn } from '../../transforms/index.ts';
import { compare, keyOf, singleKey, type Eval } from './expressions.ts';

export interface OverWindowPlan {
  /** PARTITION BY values (none: one partition). */
  readonly partition: readonly Eval[];
  /** ORDER BY values, DESC flips the order; NULLs sort last. */
  readonly order: readonly { readonly f: Eval; readonly desc: boolean }[];
  /** Rows before the current one in the frame. */
  readonly preceding: number;
  /** The aggregates of the OVER calls, over a frame's rows. */
  readonly aggregates: CombineFn<unknown, any, unknown[]>;
  /** The output row from the current row and the aggregates' values. */
  readonly build: (row: unknown, values: readonly unknown[], w: BoundedWindow) => Record<string, unknown>;
  name(what: string): string;
}

/** One kept row and its ORDER BY values. */
type Kept = [order: unknown[], row: unknown];

function orderCompare(a: readonly unknown[], b: readonly unknown[], desc: readonly boolean[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    const xn = x === null || x === undefined;
    const yn = y === null || y === undefined;
    let c: number;
    if (xn || yn) c = xn && yn ? 0 : xn ? 1 : -1;
    else c = compare(x, y)! * (desc[i] ? -1 : 1);
    if (c !== 0) return c;
  }
  return 0;
}

/** Plans the OVER aggregates (see the file comment). */
export function overWindow(rows: PCollection<any>, plan: OverWindowPlan): PCollection<Record<string, unknown>> {
  const global = rows.windowing.windowFn.isGlobal ? rows : rows.apply(plan.name('OverGlobal'), windowInto(windowFns.global()));
  const parts = plan.partition;
  const one = parts.length === 1;
  const keyed = global.apply(plan.name('OverPartition'), parDo<any, KV<unknown, unknown>>({
    process(row, ctx) {
      const k = parts.length === 0 ? 0 : one ? singleKey(parts[0]!(row, ctx.window)) : keyOf(parts.map((f) => f(row, ctx.window)));
      // SQL puts NULL partition values in one partition of their own.
      ctx.output({ key: k === undefined ? '\u0000null' : k, value: row });
    },
  }));
  const size = plan.preceding + 1;
  const order = plan.order.map((o) => o.f);
  const desc = plan.order.map((o) => o.desc);
  const { aggregates, build } = plan;
  return keyed.apply(plan.name('Over'), parDo({
    state: { frame: state.value<Kept[]>() },
    process(e: KV<unknown, unknown>, ctx) {
      const row = e.value;
      const w = ctx.window;
      const values = order.map((f) => f(row, w));
      const kept = ctx.state.frame.read() ?? [];
      // After every row that sorts before or equal to it: rows that sort equal keep their arrival order.
      let i = kept.length;
      while (i > 0 && orderCompare(kept[i - 1]![0], values, desc) > 0) i--;
      kept.splice(i, 0, [values, row]);
      if (kept.length > size) kept.splice(0, kept.length - size);
      ctx.state.frame.write(kept);
      let acc = aggregates.createAccumulator();
      for (const k of kept) acc = aggregates.addInput(acc, k[1]);
      ctx.output(build(row, aggregates.extractOutput(acc), w));
    },
  }));
}
