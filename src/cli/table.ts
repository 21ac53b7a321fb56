/**
 * Plain-text tables for the terminal: columns aligned, numbers right-aligned with thousands separators.
 * @example
 *   formatTable(['step', 'out'], [['Read', 1200], ['Sum', 3]])
 *   // step  out
 *   // Read  1,200
 *   // Sum       3
 */

export type Cell = string | number | boolean | null | undefined;

/** A number for people: thousands separators, at most three decimals. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', { maximumFractionDigits: Number.isInteger(n) ? 0 : 3 });
}

function render(cell: Cell): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'number') return formatNumber(cell);
  return String(cell).replace(/\s*\n\s*/g, ' ');
}

/**
 * Formats rows under headers, two spaces between columns, no trailing spaces. A column whose cells are all numbers
 * (empty cells aside) is right-aligned, header included.
 */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const width = headers.length;
  const numeric = headers.map((_h, c) => rows.some((r) => typeof r[c] === 'number') && rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === 'number'));
  const text = [headers.map((h) => h), ...rows.map((r) => Array.from({ length: width }, (_x, c) => render(r[c])))];
  const widths = headers.map((_h, c) => Math.max(...text.map((line) => line[c]!.length)));
  return text
    .map((line) =>
      line
        .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : c === width - 1 ? cell : cell.padEnd(widths[c]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
