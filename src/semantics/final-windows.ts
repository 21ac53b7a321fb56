import type { BoundedWindow, WindowFn } from '../model/index.ts';

/**
 * Where each of a key's windows ends up under a merging window function, when all of the key's windows are known at
 * once (bounded input): `final[i]` is the window `windows[i]` merged into, or an equal window's representative when it
 * merged with nothing. Equal windows always share one representative, so `final` holds each final window once.
 *
 * Strategy:
 * 1. Deduplicate: sort by maxTimestamp and compare keys only among equal maxTimestamps (equal windows have equal ends),
 *    so a key string is built only for windows that might be equal — merging window functions give almost every
 *    element a window of its own.
 * 2. Merge the distinct windows once: the window function sees a set, as Beam's MergeContext gives it.
 * 3. Map each window to its merge's result; a merge function may hand back equal windows rather than the ones it was
 *    given, so a window not found by identity is looked up by key.
 */
export function finalWindows(windowFn: WindowFn<any>, windows: readonly BoundedWindow[], step: string): BoundedWindow[] {
  const n = windows.length;
  if (n === 1) return [windows[0]!];
  const group = new Int32Array(n);
  const distinct: BoundedWindow[] = [];
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => windows[a]!.maxTimestamp - windows[b]!.maxTimestamp || a - b);
  for (let i = 0; i < n; ) {
    let j = i + 1;
    const end = windows[order[i]!]!.maxTimestamp;
    while (j < n && windows[order[j]!]!.maxTimestamp === end) j++;
    if (j === i + 1) {
      group[order[i]!] = distinct.length;
      distinct.push(windows[order[i]!]!);
    } else {
      const seen = new Map<string, number>();
      for (let x = i; x < j; x++) {
        const w = windows[order[x]!]!;
        let g = seen.get(w.key);
        if (g === undefined) {
          seen.set(w.key, (g = distinct.length));
          distinct.push(w);
        }
        group[order[x]!] = g;
      }
    }
    i = j;
  }
  const target: BoundedWindow[] = distinct.slice();
  const merges = distinct.length > 1 ? windowFn.mergeWindows(distinct) : [];
  if (merges.length > 0) {
    const index = new Map<BoundedWindow, number>();
    for (let g = 0; g < distinct.length; g++) index.set(distinct[g]!, g);
    let byKey: Map<string, number> | undefined;
    for (const merge of merges) {
      for (const w of merge.toMerge) {
        let g = index.get(w);
        if (g === undefined) {
          byKey ??= new Map(distinct.map((d, i) => [d.key, i]));
          g = byKey.get(w.key);
          if (g === undefined) throw new Error(`${step}: window function merged ${w.key}, which is not one of the windows it was given`);
        }
        target[g] = merge.result;
      }
    }
  }
  const final: BoundedWindow[] = new Array(n);
  for (let i = 0; i < n; i++) final[i] = target[group[i]!]!;
  return final;
}

/**
 * The windows each element ends up in when a key's whole input is known at once: `windows[i]` are element i's assigned
 * windows, the result its windows after merging over all of them (finalWindows), each result window once per element.
 * Elements of one window share one result list.
 */
export function finalWindowLists(windowFn: WindowFn<any>, windows: readonly (readonly BoundedWindow[])[], step: string): (readonly BoundedWindow[])[] {
  const proto: BoundedWindow[] = [];
  for (const ws of windows) for (const w of ws) proto.push(w);
  const final = finalWindows(windowFn, proto, step);
  const lists = new Map<BoundedWindow, readonly BoundedWindow[]>();
  const out: (readonly BoundedWindow[])[] = new Array(windows.length);
  let p = 0;
  for (let i = 0; i < windows.length; i++) {
    const n = windows[i]!.length;
    if (n === 1) {
      const w = final[p++]!;
      let list = lists.get(w);
      if (list === undefined) lists.set(w, (list = [w]));
      out[i] = list;
    } else {
      out[i] = [...new Set(final.slice(p, p + n))];
      p += n;
    }
  }
  return out;
}
