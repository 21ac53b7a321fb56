/**
 * How state cells are written: kinds as bytes, the coders a cell needs, and the one encoding of a cell's contents,
 * read and filled through its state interface, so that the backends' cells (state-cells.ts) and semantics' in-memory
 * cells (in-memory-key-state.ts) write the same bytes. Part of the spill and snapshot formats: stable.
 */
import type { ByteReader, ByteWriter, Coder } from '../../model/index.ts';
import type { BagState, CombiningState, MapState, OrderedListState, SetState, StateTag, ValueState, WatermarkHoldState } from '../../semantics/index.ts';
import { StateNotEncodableError, type TagCoders } from './state-tags.ts';

export type CellKind = StateTag<unknown>['kind'];

/** Kinds as one byte in encoded cells (stable: part of the spill and snapshot formats). */
export const KIND_CODE: Record<CellKind, number> = { value: 1, bag: 2, combining: 3, map: 4, set: 5, orderedList: 6, watermarkHold: 7 };
export const KIND_OF_CODE: CellKind[] = ['value', 'value', 'bag', 'combining', 'map', 'set', 'orderedList', 'watermarkHold'];

/** The coders a cell needs, resolved (tag's own, the backend's coderFor, or its default). */
export interface ResolvedCoders {
  value: Coder<unknown> | undefined;
  key: Coder<unknown> | undefined;
  accumulator: Coder<unknown> | undefined;
  /** Names the tag in errors. */
  describe: string;
}

export function resolvedCoders(c: TagCoders | undefined, fallback: Coder<unknown> | undefined, describe: string): ResolvedCoders {
  return { value: c?.value ?? fallback, key: c?.key ?? fallback, accumulator: c?.accumulator ?? fallback, describe };
}

export function need(c: Coder<unknown> | undefined, what: string, coders: ResolvedCoders): Coder<unknown> {
  if (c !== undefined) return c;
  throw new StateNotEncodableError(
    `state ${coders.describe} has no ${what} coder, so it cannot be spilled or snapshotted`,
    'declare the state with codedStateTags.* (or give the backend a coderFor/defaultCoder, e.g. structuredStateCoder())',
  );
}

/**
 * Writes a cell's contents, read through its state interface: the one encoding of cells, for the backends' cells
 * here and for semantics' in-memory cells (runner/checkpoint snapshots those without copying them into these).
 * `latest`: a hold's combine (holds encode it, so a hold can be restored before its tag is seen).
 */
export function encodeCellContents(kind: CellKind, state: unknown, c: ResolvedCoders, w: ByteWriter, latest = false): void {
  switch (kind) {
    case 'value': {
      const v = (state as ValueState<unknown>).read();
      if (v === undefined) w.byte(0);
      else {
        w.byte(1);
        need(c.value, 'value', c).encode(v, w);
      }
      return;
    }
    case 'bag':
      return writeAll([...(state as BagState<unknown>).read()], c, w);
    case 'combining': {
      const s = state as CombiningState<unknown, unknown, unknown>;
      if (s.isEmpty()) w.byte(0);
      else {
        w.byte(1);
        need(c.accumulator, 'accumulator', c).encode(s.readAccumulator(), w);
      }
      return;
    }
    case 'map': {
      const entries = [...(state as MapState<unknown, unknown>).entries()];
      w.varUint(entries.length);
      if (entries.length === 0) return;
      const kc = need(c.key, 'map key', c);
      const vc = need(c.value, 'map value', c);
      for (const [k, v] of entries) {
        kc.encode(k, w);
        vc.encode(v, w);
      }
      return;
    }
    case 'set':
      return writeAll([...(state as SetState<unknown>).values()], c, w);
    case 'orderedList': {
      const items = (state as OrderedListState<unknown>).read();
      w.varUint(items.length);
      if (items.length === 0) return;
      const coder = need(c.value, 'element', c);
      for (const { timestamp, value } of items) {
        w.float64(timestamp);
        coder.encode(value, w);
      }
      return;
    }
    case 'watermarkHold': {
      const hold = (state as WatermarkHoldState).read();
      if (hold === undefined) w.byte(0);
      else {
        w.byte(latest ? 2 : 1);
        w.float64(hold);
      }
    }
  }
}

function writeAll(items: readonly unknown[], c: ResolvedCoders, w: ByteWriter): void {
  w.varUint(items.length);
  if (items.length === 0) return;
  const coder = need(c.value, 'element', c);
  for (const x of items) coder.encode(x, w);
}

/** Fills a fresh cell, through its state interface, with what `encodeCellContents` wrote (a hold's flag aside: see HoldCell.decode). */
export function decodeCellContents(kind: CellKind, r: ByteReader, c: ResolvedCoders, state: unknown): void {
  switch (kind) {
    case 'value':
      if (r.byte() === 1) (state as ValueState<unknown>).write(need(c.value, 'value', c).decode(r));
      return;
    case 'bag':
    case 'set': {
      const n = r.varUint();
      if (n === 0) return;
      const coder = need(c.value, 'element', c);
      const add = kind === 'bag' ? (x: unknown) => (state as BagState<unknown>).add(x) : (x: unknown) => void (state as SetState<unknown>).add(x);
      for (let i = 0; i < n; i++) add(coder.decode(r));
      return;
    }
    case 'combining':
      if (r.byte() === 1) (state as CombiningState<unknown, unknown, unknown>).addAccumulator(need(c.accumulator, 'accumulator', c).decode(r));
      return;
    case 'map': {
      const n = r.varUint();
      if (n === 0) return;
      const kc = need(c.key, 'map key', c);
      const vc = need(c.value, 'map value', c);
      for (let i = 0; i < n; i++) {
        const k = kc.decode(r);
        (state as MapState<unknown, unknown>).set(k, vc.decode(r));
      }
      return;
    }
    case 'orderedList': {
      const n = r.varUint();
      if (n === 0) return;
      const coder = need(c.value, 'element', c);
      for (let i = 0; i < n; i++) {
        const timestamp = r.float64();
        (state as OrderedListState<unknown>).add(timestamp, coder.decode(r)); // in order: each lands at the end
      }
      return;
    }
    case 'watermarkHold':
      if (r.byte() !== 0) (state as WatermarkHoldState).add(r.float64());
  }
}

/** The coders of a hold (which needs none). */
export const NO_CODERS: ResolvedCoders = { value: undefined, key: undefined, accumulator: undefined, describe: 'a hold' };
