/**
 * Python `re` patterns (what GE suites carry: pandas' `str.contains` runs them) translated to JavaScript RegExps
 * that match the same strings, or refused with the construct named. Differences handled:
 *  - `\w`, `\d`, `\s`, `\b`, `\B` are Unicode in Python 3 (`\s` is str.isspace's set); `(?a)` makes them ASCII;
 *  - `.` excludes only `\n` (JS also excludes `\r`, U+2028, U+2029); `(?s)` makes it match everything;
 *  - `$` also matches before a final `\n`; `(?m)` makes `^`/`$` match around `\n` only (not `\r`); `\A`, `\Z`;
 *  - global inline flags `(?aimsux)` at the start, scoped `(?s:...)`, `(?m:...)`, `(?x:...)`, `(?a:...)`;
 *    verbose mode (`(?x)`: whitespace and `#` comments ignored outside classes);
 *  - `(?P<name>...)`, `(?P=name)`, `(?#comment)`, numbered backreferences (renumbered when emulation adds groups);
 *  - atomic groups `(?>...)` and possessive quantifiers `*+ ++ ?+ {m,n}+` (Python 3.11), as `(?=(...))\N`;
 *  - `{,n}`, literal `{`/`}` where Python reads them as text, `]` first in a class, octal and `\x`/`\u`/`\U` escapes,
 *    `\W`/`\D`/`\S` inside classes.
 * Refused (a SuiteError naming the construct): conditional groups `(?(1)a|b)`, `\N{...}` named characters, scoped
 * `(?i:...)`/`(?-i:...)` that differ from the whole pattern's case mode, `(?L)`, and Python's own syntax errors
 * (nothing to repeat, bad escape, unbalanced parenthesis...).
 */
import { SuiteError } from '../quality-error.ts';

interface Flags {
  i: boolean;
  s: boolean;
  m: boolean;
  x: boolean;
  a: boolean;
}

const SPACE = '\\t\\n\\v\\f\\r\\u{1c}-\\u{1f} \\u{85}\\u{a0}\\u{1680}\\u{2000}-\\u{200a}\\u{2028}\\u{2029}\\u{202f}\\u{205f}\\u{3000}';
const ASCII_SPACE = ' \\t\\n\\r\\f\\v';
const WORD = '\\p{L}\\p{N}_';
const ASCII_WORD = 'A-Za-z0-9_';
const DIGIT = '\\p{Nd}';
const ASCII_DIGIT = '0-9';
const ANY = '[\\s\\S]';
const MARK = '\u0001';

/** A class body for a shorthand escape, and whether it is negated. */
function shorthand(c: string, f: Flags): { body: string; negated: boolean } | undefined {
  const lower = c.toLowerCase();
  const body = lower === 'w' ? (f.a ? ASCII_WORD : WORD) : lower === 'd' ? (f.a ? ASCII_DIGIT : DIGIT) : lower === 's' ? (f.a ? ASCII_SPACE : SPACE) : undefined;
  return body === undefined ? undefined : { body, negated: c !== lower };
}

const hex = (cp: number) => `\\u{${cp.toString(16)}}`;

/** A code point as a JS (u-mode) literal outside a class. */
function literal(cp: number): string {
  const c = String.fromCodePoint(cp);
  if ('^$\\.*+?()[]{}|/'.includes(c)) return `\\${c}`;
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0) || cp === 0x2028 || cp === 0x2029) return hex(cp);
  return c;
}

/** A code point as a JS (u-mode) literal inside a class. */
function classLiteral(cp: number): string {
  const c = String.fromCodePoint(cp);
  if ('\\]^-['.includes(c)) return `\\${c}`;
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0) || cp === 0x2028 || cp === 0x2029) return hex(cp);
  return c;
}

/** A translated atom: its JS text, whether a quantifier may follow, whether it can match the empty string. */
interface Atom {
  readonly text: string;
  readonly repeatable: boolean;
  readonly nullable?: boolean;
  readonly lookaround?: boolean;
}

class Translator {
  private pos = 0;
  private flags: Flags = { i: false, s: false, m: false, x: false, a: false };
  private groups = 0;
  private readonly names = new Map<string, number>();
  private readonly open = new Set<number>();
  private wrappers = 0;
  /** Groups that may not take part in a match (under `?`, `*`, `{0,n}` or in one branch of `|`). */
  private readonly optional = new Set<number>();
  private readonly refs: Array<{ group: number; at: number }> = [];
  /** Whether the last alternation or sequence parsed can match the empty string. */
  private lastNullable = false;
  /** Whether the last quantifier read allows zero repetitions. */
  private lastOptional = false;
  readonly pattern: string;
  private readonly cps: number[];

  constructor(pattern: string) {
    this.pattern = pattern;
    this.cps = Array.from(pattern, (c) => c.codePointAt(0)!);
  }

  fail(what: string, at = this.pos): never {
    throw new SuiteError(`Python regex ${JSON.stringify(this.pattern)}: ${what} at position ${at}`, { hint: 'see Python\'s re syntax; Riffle translates it to JavaScript and refuses what has no equivalent' });
  }

  private peek(offset = 0): string | undefined {
    const cp = this.cps[this.pos + offset];
    return cp === undefined ? undefined : String.fromCodePoint(cp);
  }
  private startsWith(s: string): boolean {
    const chars = Array.from(s);
    return chars.every((c, i) => this.peek(i) === c);
  }
  private rest(): string {
    return String.fromCodePoint(...this.cps.slice(this.pos));
  }

  // The output never uses the m flag: `^`/`$` are JS's input start/end, and Python's line anchors are lookarounds on
  // `\n`. (Not `(?![\s\S])`: V8 tries it inside a surrogate pair in u mode and finds a false end of input there.)
  translate(): { source: string; flags: string } {
    // Global flags, only at the start (Python 3.11 rejects them elsewhere).
    for (let m = /^\(\?([aiLmsux]+)\)/.exec(this.rest()); m !== null; m = /^\(\?([aiLmsux]+)\)/.exec(this.rest())) {
      this.setFlags(m[1]!, true);
      this.pos += m[0].length;
    }
    const body = this.alternation();
    if (this.pos < this.cps.length) this.fail(this.peek() === ')' ? 'unbalanced parenthesis' : `unexpected ${this.peek()}`);
    // Python fails a backreference to a group that did not take part; JavaScript matches it as empty.
    for (const r of this.refs) if (this.optional.has(r.group)) this.fail(`backreference to group ${r.group}, which may not take part in a match (Python then fails the match, JavaScript matches empty), cannot be translated`, r.at);
    return { source: this.renumber(body), flags: this.flags.i ? 'iu' : 'u' };
  }

  private setFlags(letters: string, on: boolean): void {
    for (const l of letters) {
      if (l === 'L') this.fail('the LOCALE flag (?L) applies to bytes patterns only');
      if (l === 'u') continue;
      this.flags[l as keyof Flags] = on;
    }
  }

  /** Assigns JS group numbers in output order, replacing the markers. */
  private renumber(out: string): string {
    const pyToJs = new Map<string, number>();
    let n = 0;
    out.replace(new RegExp(`${MARK}(P|W):(\\d+)${MARK}`, 'g'), (_m, kind: string, id: string) => {
      pyToJs.set(`${kind}${id}`, ++n);
      return '';
    });
    return out
      .replace(new RegExp(`${MARK}(P|W):(\\d+)${MARK}`, 'g'), '')
      .replace(new RegExp(`${MARK}(p|w):(\\d+)${MARK}`, 'g'), (_m, kind: string, id: string) => `\\${pyToJs.get(`${kind.toUpperCase()}${id}`)!}(?:)`);
  }

  private skipVerbose(): void {
    if (!this.flags.x) return;
    for (;;) {
      const c = this.peek();
      if (c !== undefined && /[ \t\n\r\f\v]/.test(c)) this.pos++;
      else if (c === '#') {
        while (this.peek() !== undefined && this.peek() !== '\n') this.pos++;
      } else return;
    }
  }

  private alternation(): string {
    const firstGroup = this.groups + 1;
    const branches = [this.sequence()];
    let nullable = this.lastNullable;
    while (this.peek() === '|') {
      this.pos++;
      branches.push(this.sequence());
      nullable ||= this.lastNullable;
    }
    this.lastNullable = nullable;
    if (branches.length > 1) for (let g = firstGroup; g <= this.groups; g++) this.optional.add(g);
    return branches.join('|');
  }

  private sequence(): string {
    let out = '';
    let nullable = true;
    for (;;) {
      this.skipVerbose();
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') {
        this.lastNullable = nullable;
        return out;
      }
      const start = this.pos;
      const firstGroup = this.groups + 1;
      const atom = this.atom();
      if (atom === null) {
        // A comment group: Python applies a quantifier after it to the item before it.
        this.skipVerbose();
        if (this.quantifierAhead()) this.fail('a quantifier after a (?#...) comment (Python applies it to the item before the comment) cannot be translated');
        continue;
      }
      this.skipVerbose();
      const text = this.quantified(atom, start);
      const optional = this.lastOptional;
      if (optional) for (let g = firstGroup; g <= this.groups; g++) this.optional.add(g);
      nullable &&= optional || atom.nullable === true || !atom.repeatable;
      out += text;
    }
  }

  /** Applies a following quantifier (if any) to an atom. */
  private quantified(atom: Atom, start: number): string {
    const q = this.quantifier();
    this.lastOptional = q !== undefined && /^(\?|\*|\{0[,}])/.test(q.text);
    if (q === undefined) return atom.text;
    if (!atom.repeatable) this.fail(atom.lookaround === true ? 'a quantified lookaround has no JavaScript equivalent' : 'nothing to repeat', start);
    // Python stops repeating at an iteration that matches empty; JavaScript rejects that iteration and backtracks
    // into it for another choice. They differ only when a choice inside the body comes before consuming: an
    // alternation or a lazy quantifier (with greedy quantifiers alone the empty choice is the last, i.e. "stop").
    const body = String.fromCodePoint(...this.cps.slice(start, this.pos - q.text.length));
    if (atom.nullable === true && q.text !== '?' && q.text !== '{0,1}' && q.text !== '{1}' && q.text !== '{0}' && /\||[*+?}]\?/.test(body)) {
      this.fail('a repeated group that can match the empty string (Python stops repeating at an empty match, JavaScript backtracks into it) cannot be translated', start);
    }
    let text = atom.text + q.text;
    if (this.peek() === '?') {
      this.pos++;
      text += '?';
    } else if (this.peek() === '+') {
      this.pos++;
      text = this.atomic(text);
    }
    this.skipVerbose();
    if (this.quantifierAhead()) this.fail('multiple repeat');
    return text;
  }

  private atomic(inner: string): string {
    const id = ++this.wrappers;
    // One unit, so that a quantifier after it repeats the whole emulation.
    return `(?:(?=(${MARK}W:${id}${MARK}${inner}))${MARK}w:${id}${MARK})`;
  }

  private quantifierAhead(): boolean {
    const c = this.peek();
    return c === '*' || c === '+' || c === '?' || (c === '{' && /^\{(\d*)(,(\d*))?\}/.test(this.rest()));
  }

  private quantifier(): { text: string } | undefined {
    const c = this.peek();
    if (c === '*' || c === '+' || c === '?') {
      this.pos++;
      return { text: c };
    }
    if (c !== '{') return undefined;
    const m = /^\{(\d*)(,(\d*))?\}/.exec(this.rest());
    if (m === null || (m[1] === '' && m[2] === undefined)) return undefined; // a literal '{'
    const min = m[1] === '' ? 0 : Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? undefined : Number(m[3]);
    if (max !== undefined && min > max) this.fail('min repeat greater than max repeat');
    this.pos += m[0].length;
    return { text: max === min ? `{${min}}` : `{${min},${max ?? ''}}` };
  }

  private atom(): Atom | null {
    const c = this.peek()!;
    const f = this.flags;
    switch (c) {
      case '(':
        return this.group();
      case '[':
        return { text: this.charClass(), repeatable: true };
      case '.':
        this.pos++;
        return { text: f.s ? ANY : '[^\\n]', repeatable: true };
      case '^':
        this.pos++;
        return { text: f.m ? '(?:^|(?<=\\n))' : '^', repeatable: false };
      case '$':
        this.pos++;
        return { text: f.m ? '(?=\\n|$)' : '(?=\\n?$)', repeatable: false };
      case '\\':
        return this.escape();
      case '*':
      case '+':
      case '?':
        return this.fail('nothing to repeat');
      case '{':
        if (this.quantifierAhead() && /^\{(\d+(,\d*)?|,\d*)\}/.test(this.rest())) this.fail('nothing to repeat');
        this.pos++;
        return { text: '\\{', repeatable: true };
      default:
        this.pos++;
        return { text: literal(c.codePointAt(0)!), repeatable: true };
    }
  }

  private group(): Atom | null {
    const start = this.pos;
    this.pos++; // (
    let prefix: string;
    let capture: number | undefined;
    let repeatable = true;
    let atomic = false;
    const saved = { ...this.flags };
    if (this.peek() !== '?') {
      capture = ++this.groups;
      prefix = `(${MARK}P:${capture}${MARK}`;
    } else {
      this.pos++;
      const rest = this.rest();
      let m: RegExpExecArray | null;
      if (rest.startsWith(':')) {
        this.pos++;
        prefix = '(?:';
      } else if ((m = /^P<([^>]*)>/.exec(rest)) !== null) {
        const name = m[1]!;
        if (!/^[\p{L}_][\p{L}\p{N}_]*$/u.test(name)) this.fail(`bad character in group name ${JSON.stringify(name)}`);
        if (this.names.has(name)) this.fail(`redefinition of group name ${JSON.stringify(name)}`);
        this.pos += m[0].length;
        capture = ++this.groups;
        this.names.set(name, capture);
        prefix = `(?<${name}>${MARK}P:${capture}${MARK}`;
      } else if ((m = /^P=([^)]*)\)/.exec(rest)) !== null) {
        const n = this.names.get(m[1]!);
        if (n === undefined) this.fail(`unknown group name ${JSON.stringify(m[1])}`);
        if (this.open.has(n)) this.fail('cannot refer to an open group');
        this.refs.push({ group: n, at: start });
        this.pos += m[0].length;
        return { text: `${MARK}p:${n}${MARK}`, repeatable: true, nullable: true };
      } else if (rest.startsWith('#')) {
        const end = rest.indexOf(')');
        if (end < 0) this.fail('missing ), unterminated comment', start);
        this.pos += Array.from(rest.slice(0, end + 1)).length;
        return null;
      } else if (rest.startsWith('=') || rest.startsWith('!')) {
        this.pos++;
        prefix = `(?${rest[0]}`;
        repeatable = false;
      } else if (rest.startsWith('<=') || rest.startsWith('<!')) {
        this.pos += 2;
        prefix = `(?${rest.slice(0, 2)}`;
        repeatable = false;
      } else if (rest.startsWith('>')) {
        this.pos++;
        prefix = '';
        atomic = true;
      } else if (rest.startsWith('(')) {
        this.fail('conditional group (?(...)yes|no) has no JavaScript equivalent');
      } else if ((m = /^([aiLmsux]*)(?:-([imsx]+))?:/.exec(rest)) !== null && (m[1] !== '' || m[2] !== undefined)) {
        const on = m[1]!;
        const off = m[2] ?? '';
        if ((on.includes('i') && !this.flags.i) || (off.includes('i') && this.flags.i)) this.fail(`scoped case flag (?${m[0]}...) differs from the pattern's case mode and cannot be translated (put (?i) at the start of the pattern instead)`);
        this.setFlags(on, true);
        this.setFlags(off, false);
        this.pos += m[0].length;
        prefix = '(?:';
      } else if (/^[aiLmsux]+\)/.test(rest)) {
        this.fail('global flags not at the start of the expression');
      } else if (rest.startsWith('<')) {
        this.fail(`unknown extension ?<${rest[1] ?? ''} (Python names groups with (?P<name>...))`);
      } else {
        this.fail(`unknown extension ?${rest[0] ?? ''}`);
      }
    }
    if (capture !== undefined) this.open.add(capture);
    const inner = this.alternation();
    if (this.peek() !== ')') this.fail('missing ), unterminated subpattern', start);
    this.pos++;
    if (capture !== undefined) this.open.delete(capture);
    this.flags = saved;
    const nullable = this.lastNullable;
    if (atomic) return { text: this.atomic(`(?:${inner})`), repeatable: true, nullable };
    return { text: `${prefix}${inner})`, repeatable, nullable: nullable || !repeatable, lookaround: !repeatable };
  }

  /** Reads `\x..`, `\u....`, `\U........`, octal and single-character escapes shared by both contexts. */
  private codeEscape(c: string, inClass: boolean): number | undefined {
    const simple: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
    if (simple[c] !== undefined) {
      this.pos++;
      return simple[c];
    }
    if (inClass && c === 'b') {
      this.pos++;
      return 8;
    }
    const width = c === 'x' ? 2 : c === 'u' ? 4 : c === 'U' ? 8 : 0;
    if (width > 0) {
      const digits = String.fromCodePoint(...this.cps.slice(this.pos + 1, this.pos + 1 + width));
      if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(digits)) this.fail(`incomplete escape \\${c}${digits}`, this.pos - 1);
      const cp = parseInt(digits, 16);
      if (cp > 0x10ffff) this.fail(`bad escape \\${c}${digits}`, this.pos - 1);
      this.pos += 1 + width;
      return cp;
    }
    if (c === 'N') this.fail('named character escape \\N{...} is not supported (write the character itself or \\uXXXX)', this.pos - 1);
    const octal = /^[0-7]{1,3}/.exec(this.rest());
    if (octal !== null && (c === '0' || inClass || /^[0-7]{3}/.test(this.rest()))) {
      const cp = parseInt(octal[0], 8);
      if (cp > 0o377) this.fail(`octal escape value \\${octal[0]} outside of range 0-0o377`, this.pos - 1);
      this.pos += octal[0].length;
      return cp;
    }
    return undefined;
  }

  private escape(): Atom {
    const start = this.pos;
    this.pos++;
    const c = this.peek();
    if (c === undefined) this.fail('bad escape (end of pattern)', start);
    const f = this.flags;
    const word = f.a ? `[${ASCII_WORD}]` : `[${WORD}]`;
    switch (c) {
      case 'A':
        this.pos++;
        return { text: '^', repeatable: false };
      case 'Z':
        this.pos++;
        return { text: '$', repeatable: false };
      case 'b':
        this.pos++;
        return { text: `(?:(?<=${word})(?!${word})|(?<!${word})(?=${word}))`, repeatable: false };
      case 'B':
        this.pos++;
        // Python 3.11's \B never matches an empty string.
        return { text: `(?:(?<=${word})(?=${word})|(?<!${word})(?!${word})(?!^$))`, repeatable: false };
    }
    const sh = shorthand(c, f);
    if (sh !== undefined) {
      this.pos++;
      return { text: `[${sh.negated ? '^' : ''}${sh.body}]`, repeatable: true };
    }
    const code = this.codeEscape(c, false);
    if (code !== undefined) return { text: literal(code), repeatable: true };
    if (/[1-9]/.test(c)) {
      const m = /^\d\d?/.exec(this.rest())!;
      const n = Number(m[0]);
      if (n > this.groups) this.fail(`invalid group reference ${n}`, start);
      if (this.open.has(n)) this.fail('cannot refer to an open group', start);
      this.refs.push({ group: n, at: start });
      this.pos += m[0].length;
      return { text: `${MARK}p:${n}${MARK}`, repeatable: true, nullable: true };
    }
    if (/[A-Za-z0-9]/.test(c)) this.fail(`bad escape \\${c}`, start);
    this.pos++;
    return { text: literal(c.codePointAt(0)!), repeatable: true };
  }

  /** One class item: a code point, or a shorthand set. */
  private classItem(): { cp: number } | { body: string; negated: boolean } {
    const c = this.peek()!;
    if (c !== '\\') {
      this.pos++;
      return { cp: c.codePointAt(0)! };
    }
    const start = this.pos;
    this.pos++;
    const e = this.peek();
    if (e === undefined) this.fail('unterminated character set', start);
    const sh = shorthand(e, this.flags);
    if (sh !== undefined) {
      this.pos++;
      return sh;
    }
    const code = this.codeEscape(e, true);
    if (code !== undefined) return { cp: code };
    if (/[A-Za-z0-9]/.test(e)) this.fail(`bad escape \\${e}`, start);
    this.pos++;
    return { cp: e.codePointAt(0)! };
  }

  private charClass(): string {
    const start = this.pos;
    this.pos++; // [
    let negate = false;
    if (this.peek() === '^') {
      negate = true;
      this.pos++;
    }
    let positive = '';
    const negatedSets: string[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail('unterminated character set', start);
      if (c === ']' && !first) break;
      first = false;
      const itemStart = this.pos;
      const item = this.classItem();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.pos++;
        const hi = this.classItem();
        if (!('cp' in item) || !('cp' in hi)) this.fail('bad character range', itemStart);
        if (hi.cp < item.cp) this.fail('bad character range', itemStart);
        positive += `${classLiteral(item.cp)}-${classLiteral(hi.cp)}`;
        continue;
      }
      if ('cp' in item) positive += classLiteral(item.cp);
      else if (item.negated) negatedSets.push(item.body);
      else positive += item.body;
    }
    this.pos++; // ]
    if (negatedSets.length === 0) return `[${negate ? '^' : ''}${positive}]`;
    const union = [...(positive !== '' ? [`[${positive}]`] : []), ...negatedSets.map((b) => `[^${b}]`)].join('|');
    return negate ? `(?:(?!${union})${ANY})` : `(?:${union})`;
  }
}

/** The JavaScript source and flags matching what a Python pattern matches (throws a SuiteError when impossible). */
export function translatePythonRegex(pattern: string): { source: string; flags: string } {
  return new Translator(pattern).translate();
}

/**
 * A translated Python pattern: `exec`/`test` as `re.search`. Matches never start inside a surrogate pair (V8, in u
 * mode, can report a zero-width match there for patterns that start with a lookaround; such a match is skipped and
 * the search goes on from the next position, which gives the leftmost match Python finds).
 */
export class PythonRegExp {
  readonly pattern: string;
  readonly regex: RegExp;
  constructor(pattern: string, regex: RegExp) {
    this.pattern = pattern;
    this.regex = regex;
  }
  exec(s: string): RegExpExecArray | null {
    const re = this.regex;
    re.lastIndex = 0;
    for (;;) {
      const m = re.exec(s);
      if (m === null) return null;
      const i = m.index;
      const inside = i > 0 && i < s.length && (s.charCodeAt(i - 1) & 0xfc00) === 0xd800 && (s.charCodeAt(i) & 0xfc00) === 0xdc00;
      if (!inside) return m;
      re.lastIndex = i + 1;
    }
  }
  test(s: string): boolean {
    // RegExp#test first (no match array allocated): no match there is no match here; a match is the answer unless
    // the string holds a surrogate pair, where V8 may have found one starting inside it (exec looks further).
    const re = this.regex;
    re.lastIndex = 0;
    if (!re.test(s)) return false;
    for (let i = 0; i < s.length; i++) if ((s.charCodeAt(i) & 0xfc00) === 0xd800) return this.exec(s) !== null;
    return true;
  }
}

const cache = new Map<string, PythonRegExp>();

/**
 * A JS matcher for a Python pattern (cached). `.test(s)` is Python's `re.search(pattern, s) is not None`.
 * @example pythonRegex('^\\w+\\Z').test('héllo') // true, as Python's re.search
 */
export function pythonRegex(pattern: string): PythonRegExp {
  let re = cache.get(pattern);
  if (re === undefined) {
    const { source, flags } = translatePythonRegex(pattern);
    try {
      re = new PythonRegExp(pattern, new RegExp(source, `${flags}g`));
    } catch (e) {
      throw new SuiteError(`Python regex ${JSON.stringify(pattern)} has no JavaScript translation: ${(e as Error).message}`);
    }
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, re);
  }
  return re;
}
