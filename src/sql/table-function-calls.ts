/**
 * Finds Riffle's table functions in a query's text — `delta('path' [, version => N | timestamp => '…'])`,
 * `table_history('path')`, `table_files('path' [, version => N])`, `table_changes('path', from [, to])` — with
 * their literal arguments and where they stand, so that they can be replaced by relations DuckDB knows.
 *
 * Why a lexer and not DuckDB's parser: `json_serialize_sql` serializes SELECT statements only, and a call may stand
 * in a COPY, a CREATE TABLE … AS or an EXPLAIN. The lexer skips what cannot hold a call (string literals, quoted
 * identifiers, comments, dollar-quoted strings) and takes a name as a call only when `(` follows it and it is not
 * qualified (`x.delta(`).
 */
import { SqlError } from './sql-error.ts';

/** The table functions Riffle rewrites. */
export const TABLE_FUNCTIONS = ['delta', 'table_history', 'table_files', 'table_changes'] as const;
export type TableFunctionName = (typeof TABLE_FUNCTIONS)[number];

/** One literal argument: positional (`name` undefined) or named (`version => 3`). */
export interface CallArgument {
  readonly name: string | undefined;
  readonly value: string | number;
  /** Offset of the argument in the query (for messages). */
  readonly at: number;
}

/** One call found in the query text: `text.slice(start, end)` is `delta('x', version => 3)`. */
export interface TableFunctionCall {
  readonly fn: TableFunctionName;
  readonly start: number;
  readonly end: number;
  readonly args: readonly CallArgument[];
}

interface Token {
  readonly kind: 'ident' | 'string' | 'number' | 'punct' | 'quoted';
  readonly text: string;
  /** For strings: the unescaped value; for idents: lower case. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

/**
 * The query's tokens outside comments (strings and quoted identifiers kept whole).
 *
 * @example
 * tokenize("select 'a''b' -- c").map((t) => t.value); // ['select', "a'b"]
 */
export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '-' && sql[i + 1] === '-') { while (i < n && sql[i] !== '\n') i++; continue; }
    if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
      continue;
    }
    if (c === "'" || ((c === 'E' || c === 'e') && sql[i + 1] === "'")) {
      const start = i;
      const escapes = c !== "'";
      i += escapes ? 2 : 1;
      let value = '';
      while (i < n) {
        if (sql[i] === "'" && sql[i + 1] === "'") { value += "'"; i += 2; continue; }
        if (sql[i] === "'") { i++; break; }
        if (escapes && sql[i] === '\\' && i + 1 < n) { value += sql[i + 1]; i += 2; continue; }
        value += sql[i++];
      }
      out.push({ kind: 'string', text: sql.slice(start, i), value, start, end: i });
      continue;
    }
    if (c === '"') {
      const start = i++;
      let value = '';
      while (i < n) {
        if (sql[i] === '"' && sql[i + 1] === '"') { value += '"'; i += 2; continue; }
        if (sql[i] === '"') { i++; break; }
        value += sql[i++];
      }
      out.push({ kind: 'quoted', text: sql.slice(start, i), value, start, end: i });
      continue;
    }
    if (c === '$') {
      const tag = /^\$([A-Za-z_]\w*)?\$/.exec(sql.slice(i));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        const end = close < 0 ? n : close + tag[0].length;
        out.push({ kind: 'string', text: sql.slice(i, end), value: sql.slice(i + tag[0].length, close < 0 ? n : close), start: i, end });
        i = end;
        continue;
      }
    }
    if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const start = i;
      while (i < n && /[\w$\u0080-\uffff]/.test(sql[i])) i++;
      out.push({ kind: 'ident', text: sql.slice(start, i), value: sql.slice(start, i).toLowerCase(), start, end: i });
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const start = i;
      while (i < n && /[0-9_.eE]/.test(sql[i])) {
        if ((sql[i] === 'e' || sql[i] === 'E') && (sql[i + 1] === '-' || sql[i + 1] === '+')) i++;
        i++;
      }
      out.push({ kind: 'number', text: sql.slice(start, i), value: sql.slice(start, i), start, end: i });
      continue;
    }
    const two = sql.slice(i, i + 2);
    if (two === '=>' || two === ':=' || two === '::') {
      out.push({ kind: 'punct', text: two, value: two, start: i, end: i + 2 });
      i += 2;
      continue;
    }
    out.push({ kind: 'punct', text: c, value: c, start: i, end: i + 1 });
    i++;
  }
  return out;
}

const NAMED: Readonly<Record<TableFunctionName, readonly string[]>> = {
  delta: ['version', 'timestamp'],
  table_history: ['limit'],
  table_files: ['version', 'timestamp'],
  table_changes: [],
};
const POSITIONAL: Readonly<Record<TableFunctionName, readonly [number, number]>> = {
  delta: [1, 1], table_history: [1, 1], table_files: [1, 1], table_changes: [2, 3],
};
const USAGE: Readonly<Record<TableFunctionName, string>> = {
  delta: "delta('path'), delta('path', version => 3) or delta('path', timestamp => '2024-05-01T00:00:00Z')",
  table_history: "table_history('path') or table_history('path', limit => 10)",
  table_files: "table_files('path') or table_files('path', version => 3)",
  table_changes: "table_changes('path', from_version) or table_changes('path', from_version, to_version)",
};

/**
 * The calls of Riffle's table functions in `sql`, in order, with their literal arguments checked.
 *
 * @example
 * findTableFunctionCalls("select * from delta('t', version => 2)"); // [{ fn: 'delta', start: 14, end: 38, args: [...] }]
 */
export function findTableFunctionCalls(sql: string): TableFunctionCall[] {
  const tokens = tokenize(sql);
  const calls: TableFunctionCall[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.kind !== 'ident' || !(TABLE_FUNCTIONS as readonly string[]).includes(t.value)) continue;
    if (tokens[k + 1]?.value !== '(') continue;
    if (tokens[k - 1]?.value === '.') continue; // some_schema.delta(…): not ours
    const fn = t.value as TableFunctionName;
    const args: CallArgument[] = [];
    let j = k + 2;
    const fail = (at: number, what: string): never => {
      throw new SqlError('SQL_INVALID_ARGUMENT', `${fn}(): ${what}`, { sql, position: at, hint: `write ${USAGE[fn]}` });
    };
    if (tokens[j]?.value === ')') fail(tokens[j].start, 'the table path is missing');
    for (;;) {
      const a = tokens[j];
      if (a === undefined) fail(sql.length, 'the call is not closed');
      let name: string | undefined;
      let v = a;
      if (a.kind === 'ident' && (tokens[j + 1]?.value === '=>' || tokens[j + 1]?.value === ':=')) {
        name = a.value;
        if (!NAMED[fn].includes(name)) fail(a.start, `unknown argument '${a.text}' (${NAMED[fn].length ? `named arguments: ${NAMED[fn].join(', ')}` : 'it takes no named argument'})`);
        v = tokens[j + 2];
        if (v === undefined) fail(sql.length, `a value for ${name} is missing`);
        j += 2;
      }
      let sign = '';
      if (v.value === '-' && tokens[j + 1]?.kind === 'number') { sign = '-'; j++; v = tokens[j]; }
      if (v.kind === 'string') args.push({ name, value: v.value, at: v.start });
      else if (v.kind === 'number') args.push({ name, value: Number(sign + v.text.replaceAll('_', '')), at: v.start });
      else fail(v.start, `arguments must be literals (a quoted path, a number or a quoted timestamp), got '${v.text}'`);
      j++;
      const sep = tokens[j];
      if (sep?.value === ')') break;
      if (sep === undefined) fail(sql.length, 'the call is not closed');
      if (sep.value !== ',') fail(sep.start, `expected ',' or ')' before '${sep.text}'`);
      j++;
    }
    const positional = args.filter((a) => a.name === undefined);
    const [min, max] = POSITIONAL[fn];
    if (positional.length < min || positional.length > max || args.findIndex((a) => a.name !== undefined) >= 0 && args.findIndex((a) => a.name !== undefined) < positional.length) {
      fail(t.start, `expected ${min === max ? min : `${min} to ${max}`} positional argument${max > 1 ? 's' : ''} before any named one`);
    }
    if (typeof positional[0].value !== 'string') fail(positional[0].at, 'the table path must be a quoted string');
    const names = args.filter((a) => a.name !== undefined).map((a) => a.name);
    if (new Set(names).size !== names.length) fail(t.start, 'an argument is given twice');
    calls.push({ fn, start: t.start, end: tokens[j].end, args });
    k = j;
  }
  return calls;
}
