/**
 * Value tests of the column-map expectations, one per GE expectation type, each compiled once from its kwargs.
 */
import { SuiteError } from '../quality-error.ts';
import type { Kwargs } from '../expectation.ts';
import { numericValue, valueKey } from '../values.ts';
import { isDateutilParseable } from './dateutil-parse.ts';
import { matchesStrftime } from './strftime-parse.ts';
import { pythonRegex, type PythonRegExp } from './python-regex.ts';
import { parseDatetime, readBound, timeWithin, unparseableBounds } from './temporal-bounds.ts';
import type { ColumnMapSpec } from './column-map.ts';

const show = (v: unknown) => JSON.stringify(v);

export function inSet(args: Kwargs, negate: boolean): ColumnMapSpec {
  const values = args.list('value_set');
  const set = new Set(values.map(valueKey));
  // A datetime value is in the set when a member is the same instant, written as a Date or as a datetime string
  // (as pandas' isin on a datetime column).
  const times = new Set(values.map((v) => (v instanceof Date ? v.getTime() : typeof v === 'string' ? parseDatetime(v) : undefined)).filter((t) => t !== undefined));
  const has = (v: unknown) => (v instanceof Date ? times.has(v.getTime()) : set.has(valueKey(v)));
  // Numbers and strings are their own keys.
  const direct = negate ? (v: unknown) => !set.has(v) : (v: unknown) => set.has(v);
  return {
    test: negate ? (v) => !has(v) : (v) => has(v),
    number: direct,
    string: direct,
    why: `${negate ? 'is in' : 'is not in'} ${show(values).slice(0, 120)}`,
  };
}

/**
 * Between, with GE's strict_min/strict_max. Numbers compare as numbers, strings as strings (pandas' order), Dates as
 * datetimes against bounds parsed as datetimes; `parse_strings_as_datetimes` parses string values too (GE).
 */
export function between(args: Kwargs): ColumnMapSpec {
  const parseStrings = args.boolean('parse_strings_as_datetimes', false);
  const minB = readBound(args, 'min_value', parseStrings);
  const maxB = readBound(args, 'max_value', parseStrings);
  const min = minB.value;
  const max = maxB.value;
  if (min === undefined && max === undefined) throw new SuiteError(`${args.type}: give min_value, max_value or both`);
  const strictMin = args.boolean('strict_min', false);
  const strictMax = args.boolean('strict_max', false);
  if (min !== undefined && max !== undefined && typeof min === typeof max && (min > max || (min === max && (strictMin || strictMax)))) {
    throw new SuiteError(`${args.type}: no value can be ${strictMin ? '>' : '≥'} ${show(min)} and ${strictMax ? '<' : '≤'} ${show(max)}`, { hint: 'min_value must be below max_value' });
  }
  const numericBounds = typeof (min ?? max) === 'number';
  const inTime = (t: number) => timeWithin(t, minB, maxB, strictMin, strictMax);
  const test = (v: unknown): boolean => {
    if (v instanceof Date) return inTime(v.getTime());
    if (parseStrings) {
      const t = typeof v === 'string' ? parseDatetime(v) : undefined;
      return t !== undefined && inTime(t);
    }
    const x = numericBounds ? (typeof v === 'number' ? v : numericValue(v)) : typeof v === 'string' ? v : undefined;
    if (x === undefined) return false;
    if (min !== undefined && (strictMin ? !(x > min) : !(x >= min))) return false;
    if (max !== undefined && (strictMax ? !(x < max) : !(x <= max))) return false;
    return true;
  };
  const lo = min === undefined ? '' : `${strictMin ? '>' : '≥'} ${show(min)}`;
  const hi = max === undefined ? '' : `${strictMax ? '<' : '≤'} ${show(max)}`;
  const inRange = (x: number | string): boolean => {
    if (min !== undefined && (strictMin ? !(x > min) : !(x >= min))) return false;
    if (max !== undefined && (strictMax ? !(x < max) : !(x <= max))) return false;
    return true;
  };
  const never = () => false;
  return {
    test,
    number: parseStrings ? never : numericBounds ? inRange : never,
    string: parseStrings ? test : numericBounds ? never : inRange,
    why: `is not ${[lo, hi].filter(Boolean).join(' and ')}${unparseableBounds(minB, maxB)}`,
  };
}

/** A regex kwarg as a JS RegExp: the pattern is Python's (GE runs it with `re`), translated or refused by name. */
function compiledRegex(args: Kwargs, source: string, key: string): PythonRegExp {
  try {
    return pythonRegex(source);
  } catch (e) {
    throw new SuiteError(`${args.type}: '${key}' ${(e as Error).message.split('\n')[0]}`);
  }
}

export function regex(args: Kwargs, negate: boolean): ColumnMapSpec {
  const source = args.string('regex');
  const re = compiledRegex(args, source, 'regex');
  // GE (pandas) searches anywhere in the string form of the value: `str.contains(regex)`.
  return {
    test: negate ? (v) => !re.test(String(v)) : (v) => re.test(String(v)),
    string: negate ? (s) => !re.test(s) : (s) => re.test(s),
    why: `${negate ? 'matches' : 'does not match'} /${source}/`,
  };
}

/**
 * expect_column_values_to_match_regex_list (`match_on: any` (default) or `all` of the regexes found in the value) and
 * expect_column_values_to_not_match_regex_list (none found), each regex searched as pandas' `str.contains`.
 */
export function regexList(args: Kwargs, negate: boolean): ColumnMapSpec {
  const sources = args.stringList('regex_list');
  if (sources.length === 0) throw new SuiteError(`${args.type}: 'regex_list' needs at least one regex`);
  const res = sources.map((s, i) => compiledRegex(args, s, `regex_list[${i}]`));
  const all = !negate && args.optionalString('match_on') === 'all';
  const string = negate ? (s: string) => !res.some((re) => re.test(s)) : all ? (s: string) => res.every((re) => re.test(s)) : (s: string) => res.some((re) => re.test(s));
  const shown = sources.map((s) => `/${s}/`).join(', ');
  return { test: (v) => string(String(v)), string, why: negate ? `matches one of ${shown}` : all ? `does not match all of ${shown}` : `matches none of ${shown}` };
}

/** SQL LIKE: % is any run, _ any one character; the whole value must match. */
export function like(args: Kwargs, negate: boolean): ColumnMapSpec {
  const pattern = args.string('like_pattern');
  const source = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  const re = new RegExp(`^${source}$`, 's');
  return { test: negate ? (v) => !re.test(String(v)) : (v) => re.test(String(v)), why: `${negate ? 'is like' : 'is not like'} '${pattern}'` };
}

export function lengthBetween(args: Kwargs): ColumnMapSpec {
  const min = args.optionalNumber('min_value');
  const max = args.optionalNumber('max_value');
  if (min === undefined && max === undefined) throw new SuiteError(`${args.type}: give min_value, max_value or both`);
  const strictMin = args.boolean('strict_min', false);
  const strictMax = args.boolean('strict_max', false);
  if (min !== undefined && max !== undefined && (min > max || (min === max && (strictMin || strictMax)))) throw new SuiteError(`${args.type}: no length can be within [${min}, ${max}]${strictMin || strictMax ? ' with strict bounds' : ''}`, { hint: 'min_value must be below max_value' });
  // Lengths in code points, as Python's len().
  const string = (s: string): boolean => {
    let n = s.length;
    for (let i = 0; i < s.length; i++) if ((s.charCodeAt(i) & 0xfc00) === 0xd800) n--;
    if (min !== undefined && (strictMin ? !(n > min) : !(n >= min))) return false;
    if (max !== undefined && (strictMax ? !(n < max) : !(n <= max))) return false;
    return true;
  };
  return {
    test: (v) => string(String(v)),
    string,
    why: `has a length outside [${min ?? ''}, ${max ?? ''}]`,
  };
}

export function lengthEqual(args: Kwargs): ColumnMapSpec {
  const value = args.number('value');
  return { test: (v) => [...String(v)].length === value, why: `does not have length ${value}` };
}

/**
 * JSON-parseable strings (Python's json.loads, which also takes NaN, Infinity and -Infinity). Non-strings are
 * unexpected (GE raises a TypeError on them).
 */
export function jsonParseable(): ColumnMapSpec {
  const pythonOnly = /\b(NaN|-?Infinity)\b/g;
  return {
    test: (v) => {
      if (typeof v !== 'string') return false;
      try {
        JSON.parse(v);
        return true;
      } catch {
        if (!pythonOnly.test(v)) return false;
        pythonOnly.lastIndex = 0;
        try {
          JSON.parse(v.replace(pythonOnly, '0'));
          return true;
        } catch {
          return false;
        }
      }
    },
    why: 'is not JSON',
  };
}

export function dateutilParseable(): ColumnMapSpec {
  return { test: (v) => typeof v === 'string' && isDateutilParseable(v), why: 'is not a parseable date' };
}

export function strftimeFormat(args: Kwargs): ColumnMapSpec {
  const format = args.string('strftime_format');
  return { test: (v) => typeof v === 'string' && matchesStrftime(v, format), why: `does not match the format ${show(format)}` };
}

/** Type names GE accepts (Python and numpy names) and Riffle's, mapped to a test of a JS value. */
const TYPE_TESTS: Record<string, (v: unknown) => boolean> = {
  int: (v) => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint',
  float: (v) => typeof v === 'number',
  str: (v) => typeof v === 'string',
  bool: (v) => typeof v === 'boolean',
  datetime: (v) => v instanceof Date,
  list: (v) => Array.isArray(v),
  dict: (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date),
};
const TYPE_ALIASES: Record<string, string> = {
  int: 'int', int8: 'int', int16: 'int', int32: 'int', int64: 'int', integer: 'int', long: 'int', bigint: 'int', Int64: 'int',
  float: 'float', float32: 'float', float64: 'float', double: 'float', number: 'float', decimal: 'float', numeric: 'float',
  str: 'str', string: 'str', text: 'str', varchar: 'str', object: 'str',
  bool: 'bool', boolean: 'bool',
  datetime: 'datetime', datetime64: 'datetime', 'datetime64[ns]': 'datetime', Timestamp: 'datetime', timestamp: 'datetime', date: 'datetime',
  list: 'list', array: 'list', dict: 'dict', object_: 'dict', struct: 'dict', record: 'dict', map: 'dict',
};

/** The canonical type test name for a type name, or undefined when unknown. */
export function canonicalTypeName(name: string): string | undefined {
  return TYPE_ALIASES[name];
}

export function ofType(args: Kwargs, listKey: 'type_' | 'type_list'): ColumnMapSpec {
  const names = listKey === 'type_' ? [args.string('type_')] : args.stringList('type_list');
  const tests = names.map((n) => {
    const canonical = TYPE_ALIASES[n];
    if (canonical === undefined) throw new SuiteError(`${args.type}: unknown type ${show(n)}`, { hint: `use one of ${Object.keys(TYPE_ALIASES).join(', ')}` });
    return TYPE_TESTS[canonical]!;
  });
  return { test: tests.length === 1 ? tests[0]! : (v) => tests.some((t) => t(v)), why: `is not of type ${names.join(' or ')}` };
}
