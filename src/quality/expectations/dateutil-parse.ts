/**
 * A subset of python-dateutil's `parser.parse` (default options: dayfirst=False, yearfirst=False), enough for the
 * date formats data actually carries. Accepted:
 *  - ISO 8601 and its relatives: `2023-01-05`, `2023/01/05`, `2023.01.05`, `20230105`, optionally followed by
 *    `T` or a space and a time; `2023-01` (year-month);
 *  - numeric month-first dates `1/5/2023`, `01-05-23` (day-first when the first number cannot be a month);
 *  - month names: `Jan 5 2023`, `5 January 2023`, `January 5, 2023`, with an optional weekday (`Thu, 05 Jan 2023`);
 *  - a time alone (`10:30`, `10:30:15.25`, `10pm`); times `HH:MM[:SS[.ffffff]]` with optional `AM`/`PM` and a
 *    zone (`Z`, `UTC`, `GMT`, `±HH:MM`, `±HHMM`).
 * Values must be real dates (`2023-02-30` is rejected, as dateutil rejects it). Not covered: relative words
 * dateutil also ignores or accepts in fuzzy mode, two-token years like `'23`, ordinal suffixes (`5th`) and other
 * rarities — they are reported unparseable, which the oracle test pins down.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const WEEKDAYS = /^(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday),?$/i;
const TIME = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?$/;
const ZONE = /^(z|utc|gmt|[+-]\d{2}(?::?\d{2})?)$/i;

function monthOf(token: string): number | undefined {
  const t = token.toLowerCase().replace(/\.$/, '');
  const i = MONTH_NAMES.indexOf(t);
  if (i >= 0) return i + 1;
  const j = t === 'sept' ? 8 : MONTHS.indexOf(t);
  return j >= 0 ? j + 1 : undefined;
}

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1 || y < 1) return false;
  const days = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
  return d <= days;
}

const fullYear = (text: string) => (text.length <= 2 ? 2000 + Number(text) : Number(text));

/** Whether dateutil's default parser would accept `text` (within the subset above). */
export function isDateutilParseable(text: string): boolean {
  const s = text.trim();
  if (s === '') return false;
  // ISO-like date with an optional time after 'T'.
  const iso = /^(\d{4})([-/.]?)(\d{2})\2(\d{2})(?:[T ](.+))?$/.exec(s);
  if (iso) return validDate(+iso[1]!, +iso[3]!, +iso[4]!) && (iso[5] === undefined || timePart(iso[5].trim()));
  const ym = /^(\d{4})-(\d{2})$/.exec(s);
  if (ym) return +ym[2]! >= 1 && +ym[2]! <= 12;
  const tokens = s.replace(/,/g, ' , ').split(/\s+/).filter((t) => t !== ',' && t !== '');
  if (tokens.length > 0 && WEEKDAYS.test(tokens[0]!)) tokens.shift();
  if (tokens.length === 0) return false;
  const [first, ...rest] = tokens;
  // Numeric date: M/D/Y (or D/M/Y when M > 12), with the same separator twice.
  const num = /^(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})$/.exec(first!);
  if (num) {
    let m = +num[1]!;
    let d = +num[3]!;
    if (m > 12) [m, d] = [d, m];
    return validDate(fullYear(num[4]!), m, d) && timePart(rest.join(' '));
  }
  // Month names: "Jan 5 2023", "5 Jan 2023", "January 5, 2023", "Jan 2023".
  const m1 = monthOf(first!);
  if (m1 !== undefined && rest.length >= 1) {
    const [a, b, ...time] = rest;
    if (/^\d{1,2}$/.test(a!) && b !== undefined && /^\d{4}$/.test(b)) return validDate(+b, m1, +a!) && timePart(time.join(' '));
    if (/^\d{4}$/.test(a!) && (b === undefined || timePart([b, ...time].join(' ')))) return true;
    return false;
  }
  if (/^\d{1,2}$/.test(first!) && rest.length >= 2) {
    const m2 = monthOf(rest[0]!);
    if (m2 !== undefined && /^\d{4}$/.test(rest[1]!)) return validDate(+rest[1]!, m2, +first!) && timePart(rest.slice(2).join(' '));
  }
  return timePart(s) && s !== '';
}

/** A time with optional AM/PM and zone, or nothing. */
function timePart(text: string): boolean {
  if (text === '') return true;
  const tokens = text.replace(/([0-9])(am|pm|z)$/i, '$1 $2').replace(/([0-9])([+-]\d{2}:?\d{2})$/, '$1 $2').split(/\s+/);
  const clock = tokens.shift()!;
  const t = TIME.exec(clock);
  let hour: number;
  if (t) {
    hour = +t[1]!;
    if (+t[2]! > 59 || (t[3] !== undefined && +t[3] > 59)) return false;
  } else if (/^\d{1,2}$/.test(clock) && tokens.length > 0 && /^(am|pm)$/i.test(tokens[0]!)) hour = +clock;
  else return false;
  if (tokens.length > 0 && /^(am|pm)$/i.test(tokens[0]!)) {
    tokens.shift();
    if (hour < 1 || hour > 12) return false;
  } else if (hour > 23) return false;
  if (tokens.length > 0 && ZONE.test(tokens[0]!)) tokens.shift();
  return tokens.length === 0;
}
