/**
 * A recursive-descent parser for Riffle's streaming SQL subset (grammar in ../README.md, "Streaming SQL").
 *
 * Why our own parser: pipelines are built synchronously, so the plan must exist before anything async runs (DuckDB's
 * `json_serialize_sql` is async and loads the native module); DuckDB does not parse Flink's `DESCRIPTOR(…)`, `TABLE t`
 * arguments or `EMIT`; and npm's SQL parsers are not installed here. The subset is small enough to parse exactly,
 * and anything outside it is refused naming the construct and its position.
 */
import { SqlError } from '../sql-error.ts';
import type { BinaryOp, Emit, Expr, FromItem, Join, Over, Select, SelectItem, WindowTvf } from './ast.ts';

interface Tok {
  readonly kind: 'ident' | 'quoted' | 'string' | 'number' | 'op' | 'eof';
  /** idents: lower case; strings: unescaped; ops: the operator. */
  readonly value: string;
  readonly at: number;
  readonly end: number;
  /** As written (identifiers keep their case: column names are matched as written, then case-insensitively). */
  readonly raw?: string;
}

const OPS = ['=>', '<>', '!=', '<=', '>=', '||', '::', '(', ')', ',', '.', '*', '+', '-', '/', '%', '=', '<', '>', ';'];

function lex(sql: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '-' && sql[i + 1] === '-') { while (i < n && sql[i] !== '\n') i++; continue; }
    if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) throw new SqlError('SQL_SYNTAX', 'unterminated comment', { sql, position: i });
      i = close + 2;
      continue;
    }
    const start = i;
    if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= n) throw new SqlError('SQL_SYNTAX', 'unterminated string literal', { sql, position: start });
        if (sql[i] === "'" && sql[i + 1] === "'") { value += "'"; i += 2; continue; }
        if (sql[i] === "'") { i++; break; }
        value += sql[i++];
      }
      out.push({ kind: 'string', value, at: start, end: i });
      continue;
    }
    if (c === '"' || c === '`') {
      let value = '';
      i++;
      for (;;) {
        if (i >= n) throw new SqlError('SQL_SYNTAX', 'unterminated quoted identifier', { sql, position: start });
        if (sql[i] === c && sql[i + 1] === c) { value += c; i += 2; continue; }
        if (sql[i] === c) { i++; break; }
        value += sql[i++];
      }
      out.push({ kind: 'quoted', value, at: start, end: i });
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(sql.slice(i))!;
      i += m[0].length;
      out.push({ kind: 'number', value: m[0], at: start, end: i });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i))!;
      i += m[0].length;
      out.push({ kind: 'ident', value: m[0].toLowerCase(), raw: m[0], at: start, end: i });
      continue;
    }
    const op = OPS.find((o) => sql.startsWith(o, i));
    if (op === undefined) throw new SqlError('SQL_SYNTAX', `unexpected character '${c}'`, { sql, position: i });
    i += op.length;
    out.push({ kind: 'op', value: op === '!=' ? '<>' : op, at: start, end: i });
  }
  out.push({ kind: 'eof', value: '', at: n, end: n });
  return out;
}

/** Words that end an expression or a FROM item (so they are never taken as an alias). */
const RESERVED = new Set([
  'select', 'from', 'where', 'group', 'by', 'having', 'order', 'limit', 'union', 'intersect', 'except', 'join', 'inner', 'left',
  'right', 'full', 'outer', 'cross', 'natural', 'on', 'using', 'and', 'or', 'not', 'as', 'emit', 'window', 'qualify', 'with',
  'when', 'then', 'else', 'end', 'case', 'is', 'in', 'between', 'like', 'distinct', 'all', 'offset', 'fetch', 'lateral', 'filter', 'over',
]);

const UNITS: Readonly<Record<string, number>> = {
  millisecond: 1, milliseconds: 1, second: 1000, seconds: 1000, minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000,
  day: 86_400_000, days: 86_400_000,
};

/**
 * Parses one SELECT statement of the streaming subset.
 *
 * @example
 * parseStreamingSql("SELECT auction, count(*) AS n FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND)) GROUP BY auction, window_start, window_end");
 */
export function parseStreamingSql(sql: string): Select {
  const toks = lex(sql);
  let p = 0;
  const peek = (k = 0): Tok => toks[Math.min(p + k, toks.length - 1)]!;
  const isWord = (w: string, k = 0): boolean => peek(k).kind === 'ident' && peek(k).value === w;
  const isOp = (o: string, k = 0): boolean => peek(k).kind === 'op' && peek(k).value === o;
  const fail = (message: string, at = peek().at, hint?: string): never => {
    throw new SqlError('SQL_SYNTAX', message, { sql, position: at, ...(hint ? { hint } : {}) });
  };
  const unsupported = (construct: string, at = peek().at, hint?: string): never => {
    throw new SqlError('SQL_UNSUPPORTED', `${construct} is not supported by streaming SQL`, { sql, position: at, hint: hint ?? 'see the supported subset in the SQL README ("Streaming SQL")' });
  };
  const describe = (t: Tok): string => (t.kind === 'eof' ? 'the end of the query' : t.kind === 'string' ? `'${t.value}'` : `'${t.value}'`);
  const word = (w: string): Tok => {
    if (!isWord(w)) fail(`expected ${w.toUpperCase()}, found ${describe(peek())}`);
    return toks[p++]!;
  };
  const op = (o: string): Tok => {
    if (!isOp(o)) fail(`expected '${o}', found ${describe(peek())}`);
    return toks[p++]!;
  };
  const acceptWord = (w: string): boolean => (isWord(w) ? (p++, true) : false);
  const acceptOp = (o: string): boolean => (isOp(o) ? (p++, true) : false);
  const ident = (what: string): string => {
    const t = peek();
    if (t.kind === 'quoted') { p++; return t.value; }
    if (t.kind === 'ident' && !RESERVED.has(t.value)) { p++; return t.raw!; }
    return fail(`expected ${what}, found ${describe(t)}`);
  };
  const interval = (): number => {
    const at = word('interval').at;
    const t = peek();
    if (t.kind !== 'string' && t.kind !== 'number') fail("expected the interval's amount as a string, e.g. INTERVAL '10' SECOND");
    p++;
    let text = t.value.trim();
    let unit: string | undefined;
    const inline = /^([0-9.]+)\s*([a-z]+)$/i.exec(text);
    if (inline) { text = inline[1]!; unit = inline[2]!.toLowerCase(); }
    if (unit === undefined) {
      if (peek().kind !== 'ident') fail("expected the interval's unit (SECOND, MINUTE, HOUR, DAY, MILLISECOND)");
      unit = toks[p++]!.value;
    }
    const scale = UNITS[unit];
    if (scale === undefined) fail(`unknown interval unit '${unit}'`, at, 'units: MILLISECOND, SECOND, MINUTE, HOUR, DAY');
    const amount = Number(text);
    if (!Number.isFinite(amount) || amount < 0) fail(`interval amount '${t.value}' is not a number`, t.at);
    return amount * scale!;
  };

  // ---- expressions, by precedence ----
  const expr = (): Expr => or();
  const or = (): Expr => {
    let left = and();
    while (isWord('or')) { const at = toks[p++]!.at; left = { kind: 'binary', op: 'or', left, right: and(), at }; }
    return left;
  };
  const and = (): Expr => {
    let left = not();
    while (isWord('and')) { const at = toks[p++]!.at; left = { kind: 'binary', op: 'and', left, right: not(), at }; }
    return left;
  };
  const not = (): Expr => {
    if (isWord('not')) { const at = toks[p++]!.at; return { kind: 'unary', op: 'not', arg: not(), at }; }
    return comparison();
  };
  const comparison = (): Expr => {
    const left = concat();
    const t = peek();
    if (t.kind === 'op' && ['=', '<>', '<', '<=', '>', '>='].includes(t.value)) {
      p++;
      return { kind: 'binary', op: t.value as BinaryOp, left, right: concat(), at: t.at };
    }
    if (isWord('is')) {
      p++;
      const negated = acceptWord('not');
      if (isWord('distinct')) unsupported('IS [NOT] DISTINCT FROM');
      word('null');
      return { kind: 'isNull', arg: left, negated, at: t.at };
    }
    const negated = isWord('not') && (isWord('between', 1) || isWord('in', 1) || isWord('like', 1));
    if (negated) p++;
    if (acceptWord('between')) {
      const low = concat();
      word('and');
      return { kind: 'between', arg: left, low, high: concat(), negated, at: t.at };
    }
    if (acceptWord('in')) {
      op('(');
      if (isWord('select')) unsupported('a subquery in IN');
      const list = [expr()];
      while (acceptOp(',')) list.push(expr());
      op(')');
      return { kind: 'in', arg: left, list, negated, at: t.at };
    }
    if (acceptWord('like')) return { kind: 'like', arg: left, pattern: concat(), negated, at: t.at };
    return left;
  };
  const concat = (): Expr => {
    let left = additive();
    while (isOp('||')) { const at = toks[p++]!.at; left = { kind: 'binary', op: '||', left, right: additive(), at }; }
    return left;
  };
  const additive = (): Expr => {
    let left = multiplicative();
    while (isOp('+') || isOp('-')) { const t = toks[p++]!; left = { kind: 'binary', op: t.value as BinaryOp, left, right: multiplicative(), at: t.at }; }
    return left;
  };
  const multiplicative = (): Expr => {
    let left = unary();
    while (isOp('*') || isOp('/') || isOp('%')) { const t = toks[p++]!; left = { kind: 'binary', op: t.value as BinaryOp, left, right: unary(), at: t.at }; }
    return left;
  };
  const unary = (): Expr => {
    if (isOp('-') || isOp('+')) { const t = toks[p++]!; return { kind: 'unary', op: t.value as '-' | '+', arg: unary(), at: t.at }; }
    let e = primary();
    while (isOp('::')) { const at = toks[p++]!.at; e = { kind: 'cast', arg: e, type: typeName(), at }; }
    return e;
  };
  const typeName = (): string => {
    const t = peek();
    if (t.kind !== 'ident') fail(`expected a type name, found ${describe(t)}`);
    p++;
    let name = t.value;
    if (name === 'double' && acceptWord('precision')) name = 'double';
    if (name === 'character' && acceptWord('varying')) name = 'varchar';
    if (acceptOp('(')) { // VARCHAR(10), DECIMAL(10, 2), TIMESTAMP(3): the arguments do not change the JS value
      while (!isOp(')') && peek().kind !== 'eof') p++;
      op(')');
    }
    if (name === 'timestamp' && isWord('with')) { p++; word('time'); word('zone'); }
    return name;
  };
  const primary = (): Expr => {
    const t = peek();
    if (t.kind === 'number') { p++; return { kind: 'literal', value: Number(t.value), at: t.at }; }
    if (t.kind === 'string') { p++; return { kind: 'literal', value: t.value, at: t.at }; }
    if (t.kind === 'op' && t.value === '(') {
      p++;
      if (isWord('select')) unsupported('a scalar subquery', t.at);
      const e = expr();
      op(')');
      return e;
    }
    if (t.kind === 'quoted') { p++; return columnRest(t.value, t.at); }
    if (t.kind !== 'ident') return fail(`expected an expression, found ${describe(t)}`);
    switch (t.value) {
      case 'null': p++; return { kind: 'literal', value: null, at: t.at };
      case 'true': p++; return { kind: 'literal', value: true, at: t.at };
      case 'false': p++; return { kind: 'literal', value: false, at: t.at };
      case 'interval': return { kind: 'interval', ms: interval(), at: t.at };
      case 'case': return caseExpr();
      case 'cast': {
        p++;
        op('(');
        const arg = expr();
        word('as');
        const type = typeName();
        op(')');
        return { kind: 'cast', arg, type, at: t.at };
      }
      case 'date': case 'timestamp':
        if (peek(1).kind === 'string') { p += 2; return { kind: 'cast', arg: { kind: 'literal', value: peek(-1).value, at: peek(-1).at }, type: t.value, at: t.at }; }
        break;
      case 'extract': {
        p++;
        op('(');
        const unit = ident('a date part');
        word('from');
        const arg = expr();
        op(')');
        return { kind: 'call', name: 'extract', args: [{ kind: 'literal', value: unit.toLowerCase(), at: t.at }, arg], star: false, distinct: false, filter: undefined, at: t.at };
      }
      case 'exists': return unsupported('EXISTS', t.at);
      default:
    }
    if (RESERVED.has(t.value)) fail(`expected an expression, found ${describe(t)}`);
    p++;
    if (isOp('(')) return call(t.value, t.at);
    return columnRest(t.raw!, t.at);
  };
  const columnRest = (first: string, at: number): Expr => {
    if (acceptOp('.')) {
      if (isOp('*')) fail('a qualified * is only allowed as a SELECT item');
      return { kind: 'column', table: first, name: ident('a column name'), at };
    }
    return { kind: 'column', table: undefined, name: first, at };
  };
  const call = (name: string, at: number): Expr => {
    op('(');
    let star = false;
    let distinct = false;
    const args: Expr[] = [];
    if (isOp('*')) { p++; star = true; } else if (!isOp(')')) {
      distinct = acceptWord('distinct');
      acceptWord('all');
      if (name === 'substring' || name === 'trim' || name === 'position') return specialCall(name, at);
      args.push(expr());
      while (acceptOp(',')) args.push(expr());
    }
    op(')');
    let filter: Expr | undefined;
    if (isWord('filter')) {
      p++;
      op('(');
      word('where');
      filter = expr();
      op(')');
    }
    if (isWord('within')) unsupported('WITHIN GROUP');
    if (isWord('over')) return { kind: 'call', name, args, star, distinct, filter, over: overClause(), at };
    return { kind: 'call', name, args, star, distinct, filter, at };
  };
  /** OVER ([PARTITION BY e, …] ORDER BY e [ASC|DESC], … ROWS {n PRECEDING | BETWEEN n PRECEDING AND CURRENT ROW}). */
  const overClause = (): Over => {
    const at = word('over').at;
    if (!isOp('(')) unsupported('a named window (OVER w)', peek().at, 'write the window inline: OVER (PARTITION BY … ORDER BY … ROWS BETWEEN n PRECEDING AND CURRENT ROW)');
    p++;
    const partitionBy: Expr[] = [];
    if (acceptWord('partition')) {
      word('by');
      do partitionBy.push(expr()); while (acceptOp(','));
    }
    const orderBy: { expr: Expr; desc: boolean }[] = [];
    if (acceptWord('order')) {
      word('by');
      do {
        const e = expr();
        const desc = acceptWord('desc');
        if (!desc) acceptWord('asc');
        if (isWord('nulls')) unsupported('NULLS FIRST/LAST in OVER');
        orderBy.push({ expr: e, desc });
      } while (acceptOp(','));
    }
    const t = peek();
    if (isWord('range') || isWord('groups')) unsupported(`a ${t.value.toUpperCase()} frame`, t.at, 'streaming SQL has ROWS frames: ROWS BETWEEN n PRECEDING AND CURRENT ROW');
    if (!isWord('rows')) unsupported('an OVER window without a ROWS frame', t.at, 'say how many rows: ROWS BETWEEN n PRECEDING AND CURRENT ROW (the state kept per partition is n + 1 rows)');
    p++;
    const between = acceptWord('between');
    const n = peek();
    if (isWord('unbounded')) unsupported('UNBOUNDED PRECEDING', n.at, 'a frame of n rows: ROWS BETWEEN n PRECEDING AND CURRENT ROW');
    if (isWord('current')) unsupported('a frame that starts at CURRENT ROW', n.at, 'ROWS BETWEEN n PRECEDING AND CURRENT ROW');
    if (n.kind !== 'number' || !/^[0-9]+$/.test(n.value)) fail('expected a row count: ROWS BETWEEN n PRECEDING AND CURRENT ROW');
    p++;
    word('preceding');
    if (between) {
      word('and');
      if (!isWord('current')) unsupported('a frame that ends after CURRENT ROW (FOLLOWING)', peek().at, 'rows after the current one have not arrived yet: end the frame at CURRENT ROW');
      p++;
      word('row');
    }
    if (isWord('exclude')) unsupported('EXCLUDE in a frame');
    op(')');
    return { partitionBy, orderBy, preceding: Number(n.value), at };
  };
  /** SUBSTRING(s FROM a [FOR b]), TRIM([BOTH|LEADING|TRAILING] [c] FROM s), POSITION(a IN b), or their comma forms. */
  const specialCall = (name: string, at: number): Expr => {
    const mk = (fn: string, args: Expr[]): Expr => { op(')'); return { kind: 'call', name: fn, args, star: false, distinct: false, filter: undefined, at }; };
    if (name === 'trim') {
      let fn = 'trim';
      if (acceptWord('both')) fn = 'trim'; else if (acceptWord('leading')) fn = 'ltrim'; else if (acceptWord('trailing')) fn = 'rtrim';
      if (acceptWord('from')) return mk(fn, [expr()]);
      const first = expr();
      if (acceptWord('from')) return mk(fn, [expr(), first]);
      return mk(fn, [first]);
    }
    if (name === 'position') {
      const needle = concat();
      if (acceptWord('in')) return mk('position', [needle, expr()]);
      op(',');
      return mk('position', [needle, expr()]);
    }
    const s = expr();
    if (acceptWord('from')) {
      const from = expr();
      return mk('substring', acceptWord('for') ? [s, from, expr()] : [s, from]);
    }
    const args = [s];
    while (acceptOp(',')) args.push(expr());
    return mk('substring', args);
  };
  const caseExpr = (): Expr => {
    const at = word('case').at;
    const operand = isWord('when') ? undefined : expr();
    const whens: { when: Expr; then: Expr }[] = [];
    while (acceptWord('when')) {
      const when = expr();
      word('then');
      whens.push({ when, then: expr() });
    }
    if (whens.length === 0) fail('CASE needs at least one WHEN');
    const otherwise = acceptWord('else') ? expr() : undefined;
    word('end');
    return { kind: 'case', operand, whens, otherwise, at };
  };

  // ---- FROM ----
  const alias = (fallback: string): string => {
    if (acceptWord('as')) return ident('an alias');
    const t = peek();
    if (t.kind === 'quoted' || (t.kind === 'ident' && !RESERVED.has(t.value))) { p++; return t.raw ?? t.value; }
    return fallback;
  };
  const fromItem = (): FromItem => {
    const t = peek();
    if (isOp('(')) {
      p++;
      if (!isWord('select')) fail('expected SELECT in a subquery');
      const query = select();
      op(')');
      const name = alias('');
      if (name === '') fail('a subquery in FROM needs an alias', t.at);
      return { kind: 'subquery', query, alias: name, at: t.at };
    }
    if (isWord('table') && isOp('(', 1)) {
      p += 2;
      const tvf = windowTvf();
      op(')');
      return { kind: 'window', tvf, alias: alias(''), at: t.at };
    }
    if (isWord('lateral') || isWord('unnest')) unsupported(t.value.toUpperCase());
    const name = ident('a table name');
    if (isOp('(')) unsupported(`the table function ${name}()`, t.at, 'streaming SQL reads its inputs by name, and windows them with TABLE(TUMBLE|HOP|SESSION(...))');
    if (isOp('.')) unsupported('a qualified table name', t.at);
    return { kind: 'table', name, alias: alias(name), at: t.at };
  };
  const windowTvf = (): WindowTvf => {
    const t = peek();
    const fn = t.kind === 'ident' ? t.value : '';
    if (fn === 'cumulate') unsupported('CUMULATE windows', t.at);
    if (fn !== 'tumble' && fn !== 'hop' && fn !== 'session') fail(`expected TUMBLE, HOP or SESSION in TABLE(...), found ${describe(t)}`);
    p++;
    op('(');
    let table: FromItem;
    if (acceptWord('table')) {
      const at = peek().at;
      const name = ident('a table name');
      table = { kind: 'table', name, alias: name, at };
    } else if (isOp('(')) {
      const at = peek().at;
      p++;
      const query = select();
      op(')');
      table = { kind: 'subquery', query, alias: '', at };
    } else {
      return fail('expected TABLE <name> or (SELECT ...) as the window function\'s first argument');
    }
    const partitionBy: string[] = [];
    if (isWord('partition')) {
      if (fn !== 'session') unsupported(`PARTITION BY in ${fn.toUpperCase()}`);
      p++;
      word('by');
      const paren = acceptOp('(');
      partitionBy.push(ident('a partition column'));
      while (isOp(',') && !isWord('descriptor', 1) && !isWord('timecol', 1)) { p++; partitionBy.push(ident('a partition column')); }
      if (paren) op(')');
    }
    op(',');
    if (acceptWord('timecol')) op('=>');
    word('descriptor');
    op('(');
    const timeColumn = ident('the time column');
    op(')');
    const intervals: number[] = [];
    while (acceptOp(',')) {
      if (peek().kind === 'ident' && isOp('=>', 1)) unsupported('named arguments', peek().at);
      intervals.push(interval());
    }
    op(')');
    const want = fn === 'hop' ? 2 : 1;
    if (intervals.length !== want) {
      if (fn === 'tumble' && intervals.length === 2) unsupported('an offset in TUMBLE', t.at);
      fail(`${fn.toUpperCase()} takes ${want === 2 ? 'a slide and a size' : fn === 'session' ? 'a gap' : 'a size'} interval after DESCRIPTOR(column), got ${intervals.length}`, t.at);
    }
    return { fn: fn as WindowTvf['fn'], table, timeColumn, partitionBy, intervals, at: t.at };
  };

  // ---- SELECT ----
  const select = (): Select => {
    const at = word('select').at;
    const distinct = acceptWord('distinct');
    acceptWord('all');
    const items: SelectItem[] = [];
    do {
      const t = peek();
      if (isOp('*')) { p++; items.push({ kind: 'star', table: undefined, at: t.at }); continue; }
      if ((t.kind === 'ident' || t.kind === 'quoted') && isOp('.', 1) && isOp('*', 2)) {
        p += 3;
        items.push({ kind: 'star', table: t.value, at: t.at });
        continue;
      }
      const e = expr();
      const end = toks[p - 1]!.end;
      let name: string | undefined;
      if (acceptWord('as')) name = ident('an alias');
      else if (peek().kind === 'quoted' || (peek().kind === 'ident' && !RESERVED.has(peek().value))) { const a = toks[p++]!; name = a.raw ?? a.value; }
      items.push({ kind: 'expr', expr: e, alias: name, text: sql.slice(t.at, end), at: t.at });
    } while (acceptOp(','));
    if (!isWord('from')) {
      if (peek().kind === 'eof' || isOp(')')) unsupported('a SELECT without FROM', at);
      fail(`expected FROM, found ${describe(peek())}`);
    }
    p++;
    const from = fromItem();
    const joins: Join[] = [];
    for (;;) {
      const t = peek();
      if (isOp(',')) unsupported('a comma join (FROM a, b)', t.at, 'write JOIN ... ON');
      if (isWord('right') || isWord('full') || isWord('natural') || isWord('cross')) unsupported(`${t.value.toUpperCase()} JOIN`, t.at, 'streaming SQL has INNER and LEFT joins with ON');
      let kind: 'inner' | 'left' | undefined;
      if (acceptWord('join')) kind = 'inner';
      else if (isWord('inner') && isWord('join', 1)) { p += 2; kind = 'inner'; }
      else if (isWord('left')) { p++; acceptWord('outer'); word('join'); kind = 'left'; }
      if (kind === undefined) break;
      const item = fromItem();
      if (isWord('using')) unsupported('JOIN ... USING', peek().at, 'write JOIN ... ON a.x = b.x');
      word('on');
      joins.push({ kind, item, on: expr(), at: t.at });
    }
    const where = acceptWord('where') ? expr() : undefined;
    const groupBy: Expr[] = [];
    if (isWord('group')) {
      p++;
      word('by');
      if (isWord('grouping') || isWord('rollup') || isWord('cube')) unsupported(peek().value.toUpperCase());
      do groupBy.push(expr()); while (acceptOp(','));
    }
    const having = acceptWord('having') ? expr() : undefined;
    for (const w of ['window', 'qualify', 'order', 'limit', 'offset', 'fetch', 'union', 'intersect', 'except']) {
      if (isWord(w)) unsupported(w === 'order' ? 'ORDER BY' : w.toUpperCase(), peek().at, w === 'order' || w === 'limit' ? 'a stream has no order: sort a bounded result downstream, or use the DuckDB path over bounded inputs' : undefined);
    }
    const emit = isWord('emit') ? emitClause() : undefined;
    return { distinct, items, from, joins, where, groupBy, having, emit, at };
  };
  const emitClause = (): Emit => {
    const at = word('emit').at;
    let earlyDelayMs: number | undefined;
    let earlyRows: number | undefined;
    let allowedLatenessMs: number | undefined;
    let any = false;
    for (;;) {
      if (isWord('after') && isWord('watermark', 1)) { p += 2; any = true; continue; }
      if (isWord('with') && isWord('delay', 1)) {
        p += 2;
        if (peek().kind === 'string') { // Flink's "WITH DELAY '1' MINUTE"
          const t = toks[p]!;
          if (peek(1).kind !== 'ident') fail("expected the delay's unit, e.g. WITH DELAY '1' MINUTE");
          const unit = UNITS[peek(1).value];
          if (unit === undefined) fail(`unknown interval unit '${peek(1).value}'`, peek(1).at);
          p += 2;
          earlyDelayMs = Number(t.value) * unit!;
          if (!(earlyDelayMs > 0)) fail('the delay must be a positive number', t.at);
        } else earlyDelayMs = interval();
        any = true;
        continue;
      }
      if (isWord('every')) {
        p++;
        const t = peek();
        if (t.kind !== 'number' || !Number.isInteger(Number(t.value)) || Number(t.value) < 1) fail('expected a positive row count: EVERY n ROWS');
        p++;
        word('rows');
        earlyRows = Number(t.value);
        any = true;
        continue;
      }
      if (isWord('allowed') && isWord('lateness', 1)) { p += 2; allowedLatenessMs = interval(); any = true; continue; }
      break;
    }
    if (!any) fail("expected AFTER WATERMARK, WITH DELAY <interval>, EVERY n ROWS or ALLOWED LATENESS <interval> after EMIT");
    return { earlyDelayMs, earlyRows, allowedLatenessMs, at };
  };

  if (isWord('with')) unsupported('WITH (common table expressions)', peek().at, 'inline the query as a subquery in FROM');
  if (!isWord('select')) fail(`expected SELECT, found ${describe(peek())}`);
  const query = select();
  acceptOp(';');
  if (peek().kind !== 'eof') {
    if (isWord('union') || isWord('order') || isWord('limit')) unsupported(peek().value.toUpperCase());
    fail(`unexpected ${describe(peek())} after the query`);
  }
  return query;
}
