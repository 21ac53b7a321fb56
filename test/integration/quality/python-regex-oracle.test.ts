// Oracle test of the Python → JavaScript regex translation (src/quality/expectations/python-regex.ts): random Python
// patterns (built from the constructs GE suites use: Unicode classes, anchors, \A \Z \b, inline flags, named groups,
// backreferences, possessive and atomic forms, verbose mode...) searched in random strings by CPython's re and by
// the translated RegExp must give the same spans. Patterns Python rejects must be rejected; patterns Riffle refuses
// must name a construct that has no JavaScript equivalent. Needs only python3 (the GE venv's, or the system's).
// RIFFLE_REGEX_ORACLE_PATTERNS sets the number of random patterns (default 3000), RIFFLE_REGEX_ORACLE_SEED the seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pythonRegex, type PythonRegExp } from '../../../src/quality/expectations/python-regex.ts';

const venv = join(process.env.RIFFLE_CACHE ?? join(homedir(), '.cache', 'riffle'), 'py-gx', 'bin', 'python');
const python = existsSync(venv) ? venv : 'python3';
const probe = spawnSync(python, ['-c', 'import re, sys; print(sys.version_info >= (3, 11))'], { encoding: 'utf8' });
const usable = probe.status === 0 && probe.stdout.trim() === 'True';
const required = process.env.RIFFLE_INTEGRATION === '1';
const skip = usable ? false : required ? false : 'python3 ≥ 3.11 not found (RIFFLE_INTEGRATION=1 makes this a failure)';

let seed = Number(process.env.RIFFLE_REGEX_ORACLE_SEED ?? 20261206);
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const ATOMS = ['a', 'b', 'é', 'Z', '1', '٣', ' ', '_', '-', '.', '\\w', '\\W', '\\d', '\\D', '\\s', '\\S', '\\b', '\\B', '^', '$', '\\A', '\\Z', '[a-c]', '[^a]', '[\\w-]', '[\\W\\d]', '[^\\s\\d]', '[]a]', '\\.', '\\-', '\\x41', '\\u00e9', '\\n', '{', '}', '\\t', 'x{,2}', '[0-9a-f]', '(?#c)'];
const QUANTS = ['', '', '', '*', '+', '?', '*?', '+?', '??', '{2}', '{1,3}', '{,2}', '{2,}', '*+', '++', '?+', '{1,2}+'];
const FLAGS = ['', '', '', '(?i)', '(?s)', '(?m)', '(?a)', '(?x)', '(?im)', '(?si)'];

function gen(depth: number, groups: { n: number }): string {
  const parts: string[] = [];
  const len = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < len; i++) {
    const r = rand();
    let atom: string;
    if (depth < 2 && r < 0.12) {
      atom = `(${gen(depth + 1, groups)})`;
      groups.n++;
    } else if (depth < 2 && r < 0.18) atom = `(?:${gen(depth + 1, groups)}|${gen(depth + 1, groups)})`;
    else if (depth < 2 && r < 0.22) {
      const n = groups.n + 1;
      atom = `(?P<g${n}>${gen(depth + 1, groups)})`;
      groups.n++;
    }
    else if (depth < 2 && r < 0.25) atom = `(?>${gen(depth + 1, groups)})`;
    else if (depth < 2 && r < 0.28) atom = `(?${pick(['=', '!', '<=', '<!'])}${pick(['a', 'b', '\\d', 'é'])})`;
    else if (r < 0.31 && groups.n > 0) atom = `\\${1 + Math.floor(rand() * groups.n)}`;
    else atom = pick(ATOMS);
    parts.push(atom + (/^(\^|\$|\\[AZbB]|\(\?[=!<])/.test(atom) ? '' : pick(QUANTS)));
  }
  return parts.join('');
}

const ALPHABET = ['a', 'b', 'A', 'é', 'É', 'Z', '1', '٣', ' ', '\u3000', '_', '-', '.', '\n', '\r', '\t', 'x', '{', '}', ']', '😀', 'ß', 'e\u0301'];
const strings = ['', ...Array.from({ length: 40 }, () => Array.from({ length: Math.floor(rand() * 8) }, () => pick(ALPHABET)).join(''))];

/** Constructs Riffle refuses on purpose; any other refusal of a pattern Python accepts is a failure. */
const REFUSALS = /conditional group|named character escape|scoped case flag|may not take part in a match|can match the empty string|quantifier after a \(\?#|quantified lookaround/;

test('Python re vs translated JS regex: same spans on random patterns and strings', { skip }, () => {
  const count = Number(process.env.RIFFLE_REGEX_ORACLE_PATTERNS ?? 3000);
  const patterns = Array.from({ length: count }, () => pick(FLAGS) + gen(0, { n: 0 }));
  const run = spawnSync(python, [join(import.meta.dirname, 'python_regex_oracle.py')], { input: JSON.stringify({ patterns, strings }), encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(run.status, 0, run.stderr);
  const { cases } = JSON.parse(run.stdout) as { cases: Array<{ pattern: string; error?: string; spans?: Array<[number, number] | null> }> };
  let compared = 0;
  let refused = 0;
  let rejected = 0;
  for (const c of cases) {
    if (c.error !== undefined) {
      assert.throws(() => pythonRegex(c.pattern), Error, `Python rejects ${JSON.stringify(c.pattern)} (${c.error}); Riffle must too`);
      rejected++;
      continue;
    }
    let re: PythonRegExp;
    try {
      re = pythonRegex(c.pattern);
    } catch (e) {
      assert.match((e as Error).message, REFUSALS, `Riffle refused ${JSON.stringify(c.pattern)}, which Python accepts`);
      refused++;
      continue;
    }
    strings.forEach((s, i) => {
      const m = re.exec(s);
      const span = m === null ? null : [Array.from(s.slice(0, m.index)).length, Array.from(s.slice(0, m.index)).length + Array.from(m[0]).length];
      assert.deepEqual(span, c.spans![i], `re.search(${JSON.stringify(c.pattern)}, ${JSON.stringify(s)}) → JS ${re.regex.source}`);
    });
    compared++;
  }
  console.log(`python-regex oracle: ${compared} patterns compared on ${strings.length} strings, ${rejected} rejected by both, ${refused} refused by Riffle (named constructs)`);
  assert.ok(compared > count / 2);
});
