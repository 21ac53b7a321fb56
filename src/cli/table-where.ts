/**
 * The `--where` expressions of `riffle table`: a conjunction of column comparisons, turned into a lakehouse
 * `Predicate` (so reads prune files by partition values and statistics).
 *
 *   where   := cond ( AND cond )*
 *   cond    := column op literal | column IS [NOT] NULL | column IN ( literal, ... )
 *   op      := = | == | != | <> | < | <= | > | >=
 *   literal := 'text' ('' escapes a quote) | number | true | false | null
 *
 * Column names are bare words or "double-quoted"; keywords are case-insensitive.
 */
import type { Condition, Predicate } from '../lakehouse/index.ts';
import { UsageError } from './cli-error.ts';

type Literal = string | number | bigint | boolean | null;
type Token = { kind: 'word' | 'quoted' | 'string' | 'number' | 'op' | 'punct'; text: string; at: number };

const SYNTAX_HINT = `e.g. --where "country = 'fr' and amount >= 10 and id in (1, 2) and note is not null"`;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) { i++; continue; }
    const at = i;
    if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new UsageError(`--where: unterminated string starting at character ${at + 1}`, { hint: SYNTAX_HINT });
        if (text[i] === "'") {
          if (text[i + 1] === "'") { value += "'"; i += 2; continue; }
          i++;
          break;
        }
        value += text[i++];
      }
      tokens.push({ kind: 'string', text: value, at });
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new UsageError(`--where: unterminated quoted column name at character ${at + 1}`, { hint: SYNTAX_HINT });
      tokens.push({ kind: 'quoted', text: text.slice(i + 1, end), at });
      i = end + 1;
    } else if (/[-+\d.]/.test(c) && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.test(text.slice(i))) {
      const m = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(text.slice(i))!;
      tokens.push({ kind: 'number', text: m[0], at });
      i += m[0].length;
    } else if (/[=!<>]/.test(c)) {
      const m = /^(==|!=|<>|<=|>=|=|<|>)/.exec(text.slice(i));
      if (!m) throw new UsageError(`--where: unexpected '${c}' at character ${at + 1}`, { hint: SYNTAX_HINT });
      tokens.push({ kind: 'op', text: m[0], at });
      i += m[0].length;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: 'punct', text: c, at });
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i))!;
      tokens.push({ kind: 'word', text: m[0], at });
      i += m[0].length;
    } else {
      throw new UsageError(`--where: unexpected '${c}' at character ${at + 1}`, { hint: SYNTAX_HINT });
    }
  }
  return tokens;
}

const OPS: Record<string, 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte'> = { '=': 'eq', '==': 'eq', '!=': 'ne', '<>': 'ne', '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte' };

/**
 * Parses a `--where` expression into a Predicate.
 *
 * @example
 * parseWhere("country = 'fr' and amount > 3"); // { country: 'fr', amount: { gt: 3 } }
 */
export function parseWhere(text: string): Predicate {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const isWord = (t: Token | undefined, w: string) => t?.kind === 'word' && t.text.toLowerCase() === w;
  const fail = (what: string): never => {
    const t = peek();
    throw new UsageError(`--where: expected ${what} ${t ? `at '${t.text}' (character ${t.at + 1})` : 'at the end'}`, { hint: SYNTAX_HINT });
  };
  const literal = (): Literal => {
    const t = peek();
    if (t?.kind === 'string') { pos++; return t.text; }
    if (t?.kind === 'number') {
      pos++;
      if (/^[-+]?\d+$/.test(t.text)) {
        const n = Number(t.text);
        return Number.isSafeInteger(n) ? n : BigInt(t.text);
      }
      return Number(t.text);
    }
    if (isWord(t, 'true') || isWord(t, 'false')) { pos++; return t!.text.toLowerCase() === 'true'; }
    if (isWord(t, 'null')) { pos++; return null; }
    return fail("a value ('text', a number, true, false or null)");
  };
  const out: Record<string, Record<string, unknown>> = {};
  const add = (column: string, op: string, value: unknown) => {
    const conds = (out[column] ??= {});
    if (op in conds) throw new UsageError(`--where: column '${column}' has two '${op}' conditions`, { hint: 'combine them into one (e.g. with in (...))' });
    conds[op] = value;
  };
  if (tokens.length === 0) fail('a condition');
  for (;;) {
    const col = peek();
    if (col?.kind !== 'word' && col?.kind !== 'quoted') fail('a column name');
    pos++;
    const column = col!.text;
    const next = peek();
    if (next?.kind === 'op') {
      pos++;
      const value = literal();
      if (value === null) throw new UsageError(`--where: '${column} ${next.text} null' is never true in SQL`, { hint: `use '${column} is null' or '${column} is not null'` });
      add(column, OPS[next.text]!, value);
    } else if (isWord(next, 'is')) {
      pos++;
      const not = isWord(peek(), 'not');
      if (not) pos++;
      if (!isWord(peek(), 'null')) fail("'null'");
      pos++;
      add(column, 'isNull', !not);
    } else if (isWord(next, 'in')) {
      pos++;
      if (peek()?.text !== '(') fail("'('");
      pos++;
      const values: Literal[] = [literal()];
      while (peek()?.text === ',') { pos++; values.push(literal()); }
      if (peek()?.text !== ')') fail("',' or ')'");
      pos++;
      add(column, 'in', values);
    } else {
      fail('an operator (=, !=, <, <=, >, >=, is [not] null, in (...))');
    }
    if (pos === tokens.length) break;
    if (!isWord(peek(), 'and')) fail("'and' (only conjunctions are supported)");
    pos++;
  }
  const predicate: Record<string, Condition> = {};
  for (const [column, conds] of Object.entries(out)) {
    const keys = Object.keys(conds);
    predicate[column] = keys.length === 1 && keys[0] === 'eq' ? (conds.eq as Condition) : (conds as Condition);
  }
  return predicate;
}
