import { paneInfo, type Instant, type PaneInfo, type WindowingStrategy } from '../model/index.ts';

/**
 * The PaneInfo of a window's next pane (as Beam's PaneInfoTracker):
 * - LATE once the output watermark has passed the end of the window (no downstream could see it on time), or once a
 *   non-EARLY pane has been emitted;
 * - EARLY while the input watermark has not passed the end of the window;
 * - otherwise the one ON_TIME pane.
 * `nonSpeculativeIndex` counts non-EARLY panes (-1 for EARLY ones).
 */
export function nextPane(previous: PaneInfo | undefined, isFinal: boolean, windowMaxTimestamp: Instant, inputWatermark: Instant, outputWatermark: Instant): PaneInfo {
  const isFirst = previous === undefined;
  const index = isFirst ? 0 : previous.index + 1;
  let nonSpeculativeIndex = isFirst ? 0 : previous.nonSpeculativeIndex + 1;
  const isLateForOutput = windowMaxTimestamp < outputWatermark;
  const onlyEarlySoFar = isFirst || previous.timing === 'EARLY';
  let timing: PaneInfo['timing'];
  if (isLateForOutput || !onlyEarlySoFar) timing = 'LATE';
  else if (inputWatermark <= windowMaxTimestamp) {
    timing = 'EARLY';
    nonSpeculativeIndex = -1;
  } else timing = 'ON_TIME';
  return paneInfo({ isFirst, isLast: isFinal, timing, index, nonSpeculativeIndex });
}

/**
 * The pane of a window whose one firing comes when the watermark passes its end with nothing late (a bounded input
 * under a watermark-only trigger: the watermark jumps from −∞ to +∞): ON_TIME and first; last unless allowed
 * lateness leaves room for a garbage-collection pane under the default trigger (afterWatermark() without late
 * firings finishes at the end of the window either way).
 */
export function soleOnTimePane(strategy: WindowingStrategy): PaneInfo {
  const isLast = strategy.allowedLateness === 0 || strategy.trigger.kind === 'afterWatermark';
  return nextPane(undefined, isLast, 0, Infinity, -Infinity);
}
