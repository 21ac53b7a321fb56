import { deepStrictEqual } from 'node:assert/strict';
import {
  excerpt,
  formatPane,
  type BoundedWindow,
  type Instant,
  type PaneInfo,
  type PCollection,
} from '../model/index.ts';
import { parDo } from '../transforms/index.ts';

/** One observed element with where it was: what assertions check. */
export interface Observed<T> {
  readonly value: T;
  readonly timestamp: Instant;
  readonly window: BoundedWindow;
  readonly pane: PaneInfo;
}

type PaneFilter = 'any' | 'onTime' | 'final' | 'early' | 'late';

/** A failed assertion on a collection: says what was expected, what was seen, and which step it checked. */
export class CollectionAssertionError extends Error {
  override readonly name = 'CollectionAssertionError';
}

/**
 * Assertions on a collection's contents (Beam's PAssert), checked when the pipeline run completes: a failed
 * assertion makes `run()` reject with a message showing the difference.
 * @example
 *   assertThat(counts).containsInAnyOrder([kv('a', 2), kv('b', 1)]);
 *   assertThat(sums).inWindow(new IntervalWindow(0, 60_000)).inOnTimePane().containsInAnyOrder([10]);
 */
export function assertThat<T>(collection: PCollection<T>, label = collection.name): CollectionAssert<T> {
  const seen: Observed<T>[] = [];
  collection.apply(
    parDo(
      {
        process(value: T, ctx) {
          for (const w of [ctx.window]) seen.push({ value, timestamp: ctx.timestamp, window: w, pane: ctx.pane });
        },
      },
      'AssertThat',
    ),
  );
  return new CollectionAssert(collection, label, seen, undefined, 'any');
}

export class CollectionAssert<T> {
  constructor(
    private readonly collection: PCollection<T>,
    private readonly label: string,
    private readonly seen: Observed<T>[],
    private readonly window: BoundedWindow | undefined,
    private readonly pane: PaneFilter,
  ) {}

  /** Restricts the following check to one window. */
  inWindow(window: BoundedWindow): CollectionAssert<T> {
    return new CollectionAssert(this.collection, this.label, this.seen, window, this.pane);
  }
  /** ...to the ON_TIME pane. */
  inOnTimePane(): CollectionAssert<T> {
    return new CollectionAssert(this.collection, this.label, this.seen, this.window, 'onTime');
  }
  /** ...to the final pane (isLast). */
  inFinalPane(): CollectionAssert<T> {
    return new CollectionAssert(this.collection, this.label, this.seen, this.window, 'final');
  }
  inEarlyPanes(): CollectionAssert<T> {
    return new CollectionAssert(this.collection, this.label, this.seen, this.window, 'early');
  }
  inLatePanes(): CollectionAssert<T> {
    return new CollectionAssert(this.collection, this.label, this.seen, this.window, 'late');
  }

  /** Exactly these values (as a multiset: order does not matter, duplicates do). */
  containsInAnyOrder(expected: Iterable<T>): this {
    const want = Array.from(expected);
    this.check((got) => {
      const a = sortCanonical(got.map((o) => o.value));
      const b = sortCanonical(want);
      try {
        deepStrictEqual(a, b);
      } catch {
        return `expected (any order) ${excerpt(b, 2000)}\n   but got ${excerpt(a, 2000)}`;
      }
      return undefined;
    });
    return this;
  }

  /** No elements. */
  empty(): this {
    return this.containsInAnyOrder([]);
  }

  /** A custom check over the observed elements; return or throw to fail. */
  satisfies(check: (observed: readonly Observed<T>[]) => void | string | undefined): this {
    this.check((got) => {
      try {
        const r = check(got);
        return typeof r === 'string' ? r : undefined;
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    });
    return this;
  }

  private check(fn: (got: Observed<T>[]) => string | undefined): void {
    const { window, pane, seen, label } = this;
    this.collection.graph.completionChecks.push(() => {
      const got = seen.filter((o) => (window === undefined || o.window.key === window.key) && paneMatches(o.pane, pane));
      const problem = fn(got);
      if (problem !== undefined) {
        const where = `${label}${window ? ` in window ${String(window)}` : ''}${pane !== 'any' ? ` (${pane} pane)` : ''}`;
        const panes = got.length > 0 && got.length <= 20 ? `\n   panes seen: ${got.map((o) => `${String(o.window)} ${formatPane(o.pane)}`).join('; ')}` : '';
        throw new CollectionAssertionError(`assertion on ${where} failed:\n   ${problem}${panes}`);
      }
    });
  }
}

function paneMatches(p: PaneInfo, filter: PaneFilter): boolean {
  switch (filter) {
    case 'any':
      return true;
    case 'onTime':
      return p.timing === 'ON_TIME';
    case 'final':
      return p.isLast;
    case 'early':
      return p.timing === 'EARLY';
    case 'late':
      return p.timing === 'LATE';
  }
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x instanceof Map ? { __map: [...x.entries()].sort() } : x instanceof Set ? { __set: [...x].sort() } : x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x,
  ) ?? 'undefined';
}

function sortCanonical<T>(values: T[]): T[] {
  return values
    .map((v) => [canonical(v), v] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, v]) => v);
}
