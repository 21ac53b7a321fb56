import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SuiteError } from '../quality-error.ts';
import { pythonRegex, type PythonRegExp } from './python-regex.ts';

// python-regex.cases.json: re.search spans from CPython 3.11 (test/integration/quality/python_regex_oracle.py); the
// quality tier regenerates a larger table with the python3 it finds and compares again.
interface Case { pattern: string; error?: string; spans?: Array<[number, number] | null> }
const table = JSON.parse(readFileSync(new URL('./python-regex.cases.json', import.meta.url), 'utf8')) as { strings: string[]; cases: Case[] };

/** Constructs Python accepts and Riffle refuses (no JavaScript equivalent), with the words the refusal must use. */
const REFUSED: Record<string, RegExp> = {
  '(a)?(?(1)b|c)': /conditional group/,
  '\\N{EM DASH}': /named character escape/,
  '(?i:a)b': /scoped case flag/,
  '(a)(b)?\\2': /backreference to group 2, which may not take part/,
};

/** re.search's span in code points, from a JS match. */
export function jsSpan(re: PythonRegExp, s: string): [number, number] | null {
  const m = re.exec(s);
  if (m === null) return null;
  const start = Array.from(s.slice(0, m.index)).length;
  return [start, start + Array.from(m[0]).length];
}

test('Python regexes: the translated JS regex finds the same spans as re.search on every string of the table', () => {
  assert.ok(table.cases.length >= 50);
  for (const c of table.cases) {
    if (c.error !== undefined) {
      assert.throws(() => pythonRegex(c.pattern), SuiteError, `Python rejects ${c.pattern} (${c.error}); so must Riffle`);
      continue;
    }
    if (REFUSED[c.pattern] !== undefined) {
      assert.throws(() => pythonRegex(c.pattern), (e: Error) => e instanceof SuiteError && REFUSED[c.pattern]!.test(e.message), c.pattern);
      continue;
    }
    const re = pythonRegex(c.pattern);
    table.strings.forEach((s, i) => assert.deepEqual(jsSpan(re, s), c.spans![i], `re.search(${JSON.stringify(c.pattern)}, ${JSON.stringify(s)})`));
  }
});

test('Python regex errors name the construct and the position', () => {
  assert.throws(() => pythonRegex('a**'), /multiple repeat at position 2/);
  assert.throws(() => pythonRegex('\\q'), /bad escape \\q at position 0/);
  assert.throws(() => pythonRegex('(ab'), /missing \), unterminated subpattern at position 0/);
  assert.throws(() => pythonRegex('(?<n>a)'), /unknown extension \?<n .*\(\?P<name>/);
  assert.throws(() => pythonRegex('ab(?i)'), /global flags not at the start/);
});
