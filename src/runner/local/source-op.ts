import type { BoundedWindow, Instant, PaneInfo } from '../../model/index.ts';
import { Operator } from './operator.ts';

/** A source step (read or TestStream): the engine pushes what the source yields and sets its watermark. */
export class SourceOp extends Operator {
  process(_v: unknown, _ts: Instant, _w: readonly BoundedWindow[], _p: PaneInfo): void {
    throw new Error(`source step '${this.name}' has no input`);
  }
  /** The receiver of the main output (the first step of the fused stage). */
  get head() {
    return this.main;
  }
  get errorOutput() {
    return this.outputs.get('errors');
  }
}
