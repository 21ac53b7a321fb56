/**
 * Python's `datetime.strptime(value, format)` as a yes/no test (for expect_column_values_to_match_strftime_format):
 * the directives %Y %y %m %d %H %I %M %S %f %p %b %B %a %A %j %z %Z %% are supported; others make the format
 * invalid. Like strptime, numbers may have fewer digits than their width, and the date must exist.
 */
import { SuiteError } from '../quality-error.ts';

const MONTHS = 'january|february|march|april|may|june|july|august|september|october|november|december';
const MON = 'jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec';
const DIRECTIVES: Record<string, [string, string | undefined]> = {
  Y: ['(\\d{4})', 'year'],
  y: ['(\\d{2})', 'year2'],
  m: ['(\\d{1,2})', 'month'],
  d: ['(\\d{1,2})', 'day'],
  H: ['(\\d{1,2})', 'hour'],
  I: ['(\\d{1,2})', 'hour12'],
  M: ['(\\d{1,2})', 'minute'],
  S: ['(\\d{1,2})', 'second'],
  f: ['(\\d{1,6})', undefined],
  p: ['(am|pm)', 'ampm'],
  b: [`(${MON})`, 'mon'],
  B: [`(${MONTHS})`, 'monthName'],
  a: ['(?:mon|tue|wed|thu|fri|sat|sun)', undefined],
  A: ['(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)', undefined],
  j: ['(\\d{1,3})', 'yday'],
  z: ['(?:Z|[+-]\\d{2}:?\\d{2})', undefined],
  Z: ['(?:UTC|GMT|[A-Z]{3,4})?', undefined],
};

const cache = new Map<string, { re: RegExp; fields: string[] }>();

function compile(format: string): { re: RegExp; fields: string[] } {
  const hit = cache.get(format);
  if (hit) return hit;
  const fields: string[] = [];
  let source = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%') {
      source += /\s/.test(c) ? '\\s+' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      continue;
    }
    const d = format[++i];
    if (d === '%') {
      source += '%';
      continue;
    }
    const spec = d === undefined ? undefined : DIRECTIVES[d];
    if (spec === undefined) throw new SuiteError(`strftime format ${JSON.stringify(format)}: directive %${d ?? ''} is not supported`, { hint: `supported: ${Object.keys(DIRECTIVES).map((k) => `%${k}`).join(' ')} %%` });
    source += spec[0];
    if (spec[1] !== undefined) fields.push(spec[1]);
  }
  const out = { re: new RegExp(`^${source}$`, 'i'), fields };
  cache.set(format, out);
  return out;
}

/** Whether `value` parses with `format` as Python's strptime would. */
export function matchesStrftime(value: string, format: string): boolean {
  const { re, fields } = compile(format);
  const m = re.exec(value);
  if (m === null) return false;
  let year = 1900;
  let month = 1;
  let day = 1;
  let hour = 0;
  for (let i = 0; i < fields.length; i++) {
    const text = m[i + 1]!;
    const n = Number(text);
    switch (fields[i]) {
      case 'year': year = n; break;
      case 'year2': year = n < 69 ? 2000 + n : 1900 + n; break;
      case 'month': month = n; break;
      case 'mon': month = MON.split('|').indexOf(text.toLowerCase()) + 1; break;
      case 'monthName': month = MONTHS.split('|').indexOf(text.toLowerCase()) + 1; break;
      case 'day': day = n; break;
      case 'hour': if (n > 23) return false; hour = n; break;
      case 'hour12': if (n < 1 || n > 12) return false; break;
      case 'minute': if (n > 59) return false; break;
      case 'second': if (n > 61) return false; break;
      case 'yday': if (n < 1 || n > 366) return false; break;
    }
  }
  void hour;
  const days = [31, (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return month >= 1 && month <= 12 && day >= 1 && day <= days[month - 1]!;
}
