/**
 * Exact decimals (`decimal(p,s)` columns). A decimal's canonical JS value is its exact string with exactly `s`
 * digits after the point ('12.30' in decimal(5,2), '-7' in decimal(3,0)), so that `===` is value equality within a
 * column; arithmetic and order go through the unscaled bigint (value × 10^s), never through a float64.
 */

const DECIMAL_TEXT = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * The unscaled value (value × 10^scale) of a decimal text ('12.3', '-0.05', '1e3', '+4.'), or an error saying why
 * it is not exactly a decimal of that scale (nothing is rounded).
 *
 * @example
 * unscaledOf('12.3', 2);  // 1230n
 * unscaledOf('1.234', 2); // { error: "string '1.234' has more than 2 decimal places" }
 */
export function unscaledOf(text: string, scale: number): bigint | { error: string } {
  const m = DECIMAL_TEXT.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) return { error: `string '${text}' is not a decimal number` };
  const [, sign, int, frac = '', exp = '0'] = m;
  const shift = Number(exp);
  if (!Number.isSafeInteger(shift) || Math.abs(shift) > 400) return { error: `string '${text}' has an exponent out of range` };
  // digits × 10^(shift - frac.length) × 10^scale
  const digits = `${int}${frac}`.replace(/^0+(?=\d)/, '');
  const power = shift - frac.length + scale;
  let unscaled: bigint;
  if (power >= 0) unscaled = BigInt(digits) * 10n ** BigInt(power);
  else {
    const cut = -power;
    const kept = digits.length > cut ? digits.slice(0, digits.length - cut) : '0';
    const dropped = digits.length > cut ? digits.slice(digits.length - cut) : digits;
    if (/[1-9]/.test(dropped)) return { error: `string '${text}' has more than ${scale} decimal places` };
    unscaled = BigInt(kept);
  }
  return sign === '-' ? -unscaled : unscaled;
}

/**
 * The canonical string of an unscaled value at a scale.
 *
 * @example
 * decimalString(-5n, 2); // '-0.05'
 */
export function decimalString(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
}

/**
 * Converts a JS value to the canonical string of `decimal(precision, scale)`: a decimal string, a bigint (an
 * integer value, not an unscaled one) or a number whose shortest form (`String(n)`, at most 15 significant digits)
 * is the exact decimal meant (0.1 is '0.1'); an error when it has more decimals than the scale or more digits than
 * the precision.
 *
 * @example
 * toCanonicalDecimal(0.1, 5, 2);    // '0.10'
 * toCanonicalDecimal('1000', 5, 2); // { error: "'1000' needs more than 5 digits (decimal(5,2))" }
 */
export function toCanonicalDecimal(value: unknown, precision: number, scale: number): string | { error: string } {
  let unscaled: bigint | { error: string };
  if (typeof value === 'string') unscaled = unscaledOf(value, scale);
  else if (typeof value === 'bigint') unscaled = value * 10n ** BigInt(scale);
  else if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { error: `number ${value} is not a decimal` };
    // Past 15 significant digits a float64 no longer stands for one decimal (0.1 + 0.2 prints 0.30000000000000004).
    const significant = String(value).replace(/[eE].*$/, '').replace(/[-.]/g, '').replace(/^0+/, '').replace(/0+$/, '');
    if (significant.length > 15) return { error: `number ${value} has more than 15 significant digits, which a number does not hold exactly (pass a string)` };
    unscaled = unscaledOf(String(value), scale);
    if (typeof unscaled !== 'bigint') return { error: `number ${value} has more than ${scale} decimal places (pass a string for an exact value)` };
  } else return { error: 'not a decimal' };
  if (typeof unscaled !== 'bigint') return unscaled;
  const limit = 10n ** BigInt(precision);
  if (unscaled >= limit || unscaled <= -limit) return { error: `'${String(value)}' needs more than ${precision} digits (decimal(${precision},${scale}))` };
  return decimalString(unscaled, scale);
}

/**
 * The unscaled value of a canonical decimal string (its digits without the point).
 *
 * @example
 * unscaledOfCanonical('-12.30'); // -1230n
 */
export function unscaledOfCanonical(text: string): bigint {
  return BigInt(text.replace('.', ''));
}

/**
 * Compares two decimal strings numerically (any scales, canonical or not): negative, zero or positive.
 *
 * @example
 * compareDecimals('9.5', '10.00'); // < 0
 */
export function compareDecimals(a: string, b: string): number {
  const fa = a.indexOf('.') < 0 ? 0 : a.length - a.indexOf('.') - 1;
  const fb = b.indexOf('.') < 0 ? 0 : b.length - b.indexOf('.') - 1;
  const scale = Math.max(fa, fb);
  const x = unscaledOf(a, scale) as bigint;
  const y = unscaledOf(b, scale) as bigint;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The value of a big-endian two's-complement byte string (Parquet's FIXED_LEN_BYTE_ARRAY / BYTE_ARRAY decimals).
 *
 * @example
 * bigintFromBytes(new Uint8Array([0xff, 0x38])); // -200n
 */
export function bigintFromBytes(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return bytes[0] & 0x80 ? value - (1n << BigInt(bytes.length * 8)) : value;
}

/**
 * The fewest bytes a two's-complement unscaled value of `precision` digits needs (Spark's minBytesForPrecision):
 * the FIXED_LEN_BYTE_ARRAY length of decimals past 18 digits.
 *
 * @example
 * decimalByteLength(38); // 16
 */
export function decimalByteLength(precision: number): number {
  const max = 10n ** BigInt(precision);
  let bytes = 1;
  while (1n << BigInt(bytes * 8 - 1) < max) bytes++;
  return bytes;
}
