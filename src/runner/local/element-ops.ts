import {
  formatInstant,
  MAX_TIMESTAMP,
  MIN_TIMESTAMP,
  type AssignTimestampsSpec,
  type BoundedWindow,
  type FilterSpec,
  type FlatMapSpec,
  type Instant,
  type MapSpec,
  type NodeInfo,
  type PaneInfo,
  type WindowFn,
} from '../../model/index.ts';
import { Operator, type Receiver } from './operator.ts';
import { handleElementError } from './step-errors.ts';

/** Stateless operators ignore watermarks and bundles: the defaults of Operator do. */
abstract class StatelessOp<S> extends Operator {
  protected errorOut: Receiver | undefined;
  constructor(
    node: NodeInfo,
    protected readonly spec: S & { errorTag?: string },
  ) {
    super(node);
  }
  override wire(outputs: Map<string, Receiver>): void {
    super.wire(outputs);
    this.errorOut = this.spec.errorTag ? outputs.get(this.spec.errorTag) : undefined;
  }
}

export class MapOp extends StatelessOp<MapSpec> {
  private readonly fn = this.spec.fn;
  process(value: unknown, ts: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    this.elementsIn++;
    let out: unknown;
    try {
      out = this.fn(value);
    } catch (e) {
      handleElementError(this, this.errorOut, value, e, ts, windows, pane);
      return;
    }
    this.elementsOut++;
    this.main.process(out, ts, windows, pane);
  }
}

export class FilterOp extends StatelessOp<FilterSpec> {
  private readonly fn = this.spec.fn;
  process(value: unknown, ts: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    this.elementsIn++;
    let keep: boolean;
    try {
      keep = this.fn(value);
    } catch (e) {
      handleElementError(this, this.errorOut, value, e, ts, windows, pane);
      return;
    }
    if (keep) {
      this.elementsOut++;
      this.main.process(value, ts, windows, pane);
    }
  }
}

export class FlatMapOp extends StatelessOp<FlatMapSpec> {
  private readonly fn = this.spec.fn;
  process(value: unknown, ts: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    this.elementsIn++;
    let outs: Iterable<unknown>;
    try {
      outs = this.fn(value);
      if (Array.isArray(outs)) {
        for (let i = 0; i < outs.length; i++) {
          this.elementsOut++;
          this.main.process(outs[i], ts, windows, pane);
        }
        return;
      }
      for (const out of outs) {
        this.elementsOut++;
        this.main.process(out, ts, windows, pane);
      }
    } catch (e) {
      handleElementError(this, this.errorOut, value, e, ts, windows, pane);
    }
  }
}

/** Sets timestamps from elements, checking the allowed skew (as Beam's WithTimestamps). */
export class AssignTimestampsOp extends StatelessOp<AssignTimestampsSpec> {
  private readonly fn = this.spec.fn;
  private readonly skew = this.spec.allowedSkew;
  process(value: unknown, ts: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    this.elementsIn++;
    let t: Instant;
    try {
      t = this.fn(value, ts);
      if (typeof t !== 'number' || !Number.isFinite(t) || t < MIN_TIMESTAMP || t > MAX_TIMESTAMP) {
        throw new RangeError(`timestamp function returned ${String(t)}; expected milliseconds since the epoch`);
      }
      if (ts !== MIN_TIMESTAMP && t < ts - this.skew) {
        throw new RangeError(
          `cannot move timestamp from ${formatInstant(ts)} to ${formatInstant(t)}: more than the allowed skew (${this.skew} ms) before the input's timestamp`,
        );
      }
    } catch (e) {
      handleElementError(this, this.errorOut, value, e, ts, windows, pane);
      return;
    }
    this.elementsOut++;
    this.main.process(value, t, windows, pane);
  }
}

/** Assigns windows from the element's timestamp (merging window functions assign proto-windows; grouping merges). */
export class WindowIntoOp extends Operator {
  constructor(
    node: NodeInfo,
    private readonly windowFn: WindowFn<unknown>,
  ) {
    super(node);
  }
  process(value: unknown, ts: Instant, _windows: readonly BoundedWindow[], pane: PaneInfo): void {
    this.elementsIn++;
    this.elementsOut++;
    this.main.process(value, ts, this.windowFn.assignWindows(ts, value), pane);
  }
}

/** Flatten and reshuffle pass elements through (the engine unions watermarks of a flatten's inputs). */
export class PassThroughOp extends Operator {
  process(value: unknown, ts: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    this.elementsIn++;
    this.elementsOut++;
    this.main.process(value, ts, windows, pane);
  }
}
