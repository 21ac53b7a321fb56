import type { BoundedWindow, Instant, WindowingStrategy } from '../model/index.ts';
import { combinesToLatest, elementOutputTime } from './pane-fold.ts';
import { stateTags, type StateInternals } from './state.ts';

/**
 * The watermark holds of a window (as Beam's WatermarkHold). Two holds per window:
 * - the element hold, at the output time of the pane's elements (combined per the timestamp combiner): it keeps the
 *   output watermark from passing the pane's timestamp before the pane is emitted;
 * - the extra hold, at the end of the window (so the ON_TIME pane is on time downstream) or at garbage collection time
 *   (so late panes are not dropped downstream), placed when an element is too late for an element hold and after
 *   each firing that does not finish the window.
 * A hold behind the input or output watermark would not hold anything, so it is not placed.
 */
export class WatermarkHolds {
  private readonly elementTag;
  private readonly extraTag = stateTags.watermarkHold('hold/extra');
  private readonly lateness: number;

  constructor(private readonly strategy: WindowingStrategy) {
    this.elementTag = stateTags.watermarkHold('hold/element', combinesToLatest(strategy.timestampCombiner) ? 'latest' : 'earliest');
    this.lateness = strategy.allowedLateness;
  }

  /** The output time an element with this timestamp contributes to its window's pane. */
  outputTime(window: BoundedWindow, timestamp: Instant): Instant {
    return elementOutputTime(this.strategy, window, timestamp);
  }

  /** Holds for one element: its output time if it can still be held, else the end-of-window or GC hold. */
  addElementHolds(state: StateInternals, ns: string, window: BoundedWindow, timestamp: Instant, inputWM: Instant, outputWM: Instant): void {
    const out = this.outputTime(window, timestamp);
    if (out >= inputWM && out >= outputWM) state.state(ns, this.elementTag).add(out);
    else this.addEndOfWindowOrGcHold(state, ns, window, false, inputWM, outputWM);
  }

  /** The end-of-window hold if still ahead, else the GC hold (with allowed lateness); respects the empty-pane behaviors. */
  addEndOfWindowOrGcHold(state: StateInternals, ns: string, window: BoundedWindow, paneIsEmpty: boolean, inputWM: Instant, outputWM: Instant): Instant | undefined {
    const eow = window.maxTimestamp;
    if (eow >= inputWM && eow >= outputWM && (!paneIsEmpty || this.strategy.onTimeBehavior === 'fireAlways')) {
      state.state(ns, this.extraTag).add(eow);
      return eow;
    }
    if (this.lateness > 0 && (!paneIsEmpty || this.strategy.closingBehavior === 'fireAlways')) {
      const gc = eow + this.lateness;
      if (gc >= inputWM && gc >= outputWM) {
        state.state(ns, this.extraTag).add(gc);
        return gc;
      }
    }
    return undefined;
  }

  /**
   * Reads and releases the holds for a firing: the pane's timestamp is the element hold (or the end of the window when
   * there is none: every element came too late to hold anything). Unless the window is finished, places the
   * end-of-window or GC hold for the panes to come.
   */
  extractAndRelease(
    state: StateInternals,
    ns: string,
    window: BoundedWindow,
    isFinished: boolean,
    inputWM: Instant,
    outputWM: Instant,
  ): { outputTimestamp: Instant; newHold: Instant | undefined } {
    const elementCell = state.state(ns, this.elementTag);
    const extraCell = state.state(ns, this.extraTag);
    const element = elementCell.read();
    const extra = extraCell.read();
    const outputTimestamp = element === undefined ? window.maxTimestamp : extra !== undefined && extra < element ? extra : element;
    elementCell.clear();
    extraCell.clear();
    const newHold = isFinished ? undefined : this.addEndOfWindowOrGcHold(state, ns, window, true, inputWM, outputWM);
    return { outputTimestamp, newHold };
  }

  hasHolds(state: StateInternals, ns: string): boolean {
    return state.state(ns, this.elementTag).read() !== undefined || state.state(ns, this.extraTag).read() !== undefined;
  }

  /** Moves the holds of merged windows to the result window. */
  onMerge(state: StateInternals, sources: readonly string[], result: string, resultWindow: BoundedWindow, inputWM: Instant, outputWM: Instant): void {
    const target = state.state(result, this.elementTag);
    let anyElement = target.read() !== undefined;
    let anyExtra = state.state(result, this.extraTag).read() !== undefined;
    for (const source of sources) {
      if (source === result) continue;
      const hold = state.state(source, this.elementTag).read();
      if (hold !== undefined) {
        anyElement = true;
        if (this.strategy.timestampCombiner !== 'endOfWindow') target.add(hold);
      }
      if (state.state(source, this.extraTag).read() !== undefined) anyExtra = true;
      state.state(source, this.elementTag).clear();
      state.state(source, this.extraTag).clear();
    }
    if (anyElement && this.strategy.timestampCombiner === 'endOfWindow') {
      // The hold depends only on the window: the merged window's end.
      target.clear();
      if (resultWindow.maxTimestamp >= inputWM && resultWindow.maxTimestamp >= outputWM) target.add(resultWindow.maxTimestamp);
      else this.addEndOfWindowOrGcHold(state, result, resultWindow, false, inputWM, outputWM);
    }
    if (anyExtra) {
      state.state(result, this.extraTag).clear();
      this.addEndOfWindowOrGcHold(state, result, resultWindow, false, inputWM, outputWM);
    }
  }
}
