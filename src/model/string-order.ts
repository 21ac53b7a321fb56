/**
 * Code point order of strings — the order of their UTF-8 bytes, and Python's `str` order. JavaScript's `<` compares
 * UTF-16 code units instead, and the two disagree when a character in U+E000–U+FFFF (fullwidth forms, U+FFFD) meets
 * one above U+FFFF (emoji): `'Ａ' < '😀'` is false in JavaScript and true in UTF-8 and Python. Statistics, pruning and
 * sorts that other systems read (Delta readers, Great Expectations) compare through here.
 */

/** Maps a UTF-16 code unit ≥ 0xD800 so that surrogates (code points above U+FFFF) sort after U+E000–U+FFFF. */
const fixup = (unit: number): number => (unit >= 0xe000 ? unit - 0x800 : unit + 0x2000);

/**
 * Compares two strings by code point (= UTF-8 byte order): negative, zero or positive.
 *
 * Strategy: find the first differing code unit; below U+D800 code unit order is code point order; when both units are
 * at or above U+D800, surrogates (a pair encodes a code point above U+FFFF) are moved above U+E000–U+FFFF. A lone
 * surrogate (not valid Unicode) sorts as if it were part of a pair: the order stays total.
 *
 * @example
 * compareUtf8('Ａ', '😀'); // < 0 (UTF-8 EF BC A1 < F0 9F 98 80), while 'Ａ' < '😀' is false in JavaScript
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x >= 0xd800 && y >= 0xd800 ? fixup(x) - fixup(y) : x - y;
  }
  return a.length - b.length;
}
