/**
 * "Did you mean": the closest candidates to a mistyped word, by Damerau–Levenshtein distance (an adjacent swap counts
 * one edit), case-insensitive, within a distance that grows with the word's length.
 */

/** The optimal-string-alignment distance between two strings. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = new Array<number>(n + 1);
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur[j] = d;
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[n]!;
}

/**
 * The candidates closest to `word` (at most `limit`, best first), or [] when none is close enough.
 * @example closest('requird', ['name', 'required', 'type']) // ['required']
 */
export function closest(word: string, candidates: Iterable<string>, limit = 1): string[] {
  const w = word.toLowerCase();
  const max = Math.max(2, Math.floor(w.length / 3));
  const scored: Array<[string, number]> = [];
  for (const c of candidates) {
    const lc = c.toLowerCase();
    let d = editDistance(w, lc);
    // A prefix or a plural (`allowed_value` for `allowed_values`, `min` for `min_value`) is a likely slip too.
    if (d > max && w.length >= 3 && (lc.startsWith(w) || w.startsWith(lc))) d = max;
    if (d <= max && word !== c) scored.push([c, d]);
  }
  return scored.sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0])).slice(0, limit).map((x) => x[0]);
}

/** ` (did you mean `x`?)`, or '' when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const best = closest(word, candidates, 1);
  return best.length > 0 ? ` (did you mean \`${best[0]}\`?)` : '';
}
