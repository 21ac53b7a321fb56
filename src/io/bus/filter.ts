/**
 * Subscription filters in Pub/Sub's syntax, over message attributes:
 *
 *   attributes.KEY = "v"          attributes.KEY != "v"          attributes:KEY   (the key exists)
 *   hasPrefix(attributes.KEY, "p")
 *   NOT e      e AND e AND ...     e OR e OR ...     ( e )
 *
 * A key with characters other than letters, digits, `-` and `_` is written as a string literal:
 * `attributes."build.id" = "7"`. Literals take `\"`, `\\`, `\n`, `\t`, `\uXXXX` escapes. As in Pub/Sub, AND and OR
 * cannot be mixed without parentheses (which one binds tighter is then never a question), a filter has at most 256
 * bytes, and a message the filter does not match is acknowledged automatically. Errors say where and what was expected.
 * @example
 *   const f = parseFilter('attributes.kind = "click" AND NOT hasPrefix(attributes.user, "test-")');
 *   f.matches({ kind: 'click', user: 'u1' }) === true
 */
import { BusFilterSyntaxError } from './bus-errors.ts';

export type FilterExpr =
  | { readonly kind: 'eq' | 'ne'; readonly key: string; readonly value: string }
  | { readonly kind: 'has'; readonly key: string }
  | { readonly kind: 'prefix'; readonly key: string; readonly prefix: string }
  | { readonly kind: 'not'; readonly expr: FilterExpr }
  | { readonly kind: 'and' | 'or'; readonly exprs: readonly FilterExpr[] };

/** A parsed filter. */
export interface MessageFilter {
  readonly source: string;
  readonly expr: FilterExpr;
  matches(attributes: Readonly<Record<string, string>>): boolean;
}

export const MAX_FILTER_BYTES = 256;

type Token =
  | { t: 'ident'; v: string; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: 'op'; v: '=' | '!=' | ':' | '(' | ')' | ',' | '.' | '-'; at: number }
  | { t: 'end'; at: number };

function fail(source: string, at: number, message: string): never {
  const caret = `${source}\n${' '.repeat(Math.min(at, source.length))}^`;
  throw new BusFilterSyntaxError(`invalid filter at character ${at + 1}: ${message}\n${caret}`, {
    hint: 'write e.g. attributes.kind = "click" AND (hasPrefix(attributes.region, "eu-") OR NOT attributes:test)',
  });
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[A-Za-z0-9_]/.test(c)) {
      const start = i;
      while (i < src.length && /[A-Za-z0-9_-]/.test(src[i]!)) i++;
      out.push({ t: 'ident', v: src.slice(start, i), at: start });
      continue;
    }
    if (c === '"' || c === "'") {
      const start = i;
      i++;
      let v = '';
      for (;;) {
        if (i >= src.length) fail(src, start, 'a string literal is not closed');
        const d = src[i]!;
        if (d === c) {
          i++;
          break;
        }
        if (d === '\\') {
          const e = src[i + 1];
          const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", '0': '\0' };
          if (e !== undefined && e in simple) {
            v += simple[e];
            i += 2;
          } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) {
            v += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
            i += 6;
          } else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(src.slice(i + 2, i + 4))) {
            v += String.fromCharCode(parseInt(src.slice(i + 2, i + 4), 16));
            i += 4;
          } else fail(src, i, `unknown escape \\${e ?? ''} in a string literal`);
          continue;
        }
        v += d;
        i++;
      }
      out.push({ t: 'string', v, at: start });
      continue;
    }
    if (c === '!' && src[i + 1] === '=') {
      out.push({ t: 'op', v: '!=', at: i });
      i += 2;
      continue;
    }
    if ('=:(),.-'.includes(c)) {
      out.push({ t: 'op', v: c as '=', at: i });
      i++;
      continue;
    }
    fail(src, i, `unexpected character '${c}'`);
  }
  out.push({ t: 'end', at: src.length });
  return out;
}

/** Parses a filter; throws BusFilterSyntaxError naming the position and what was expected. */
export function parseFilter(source: string): MessageFilter {
  if (Buffer.byteLength(source, 'utf8') > MAX_FILTER_BYTES) {
    throw new BusFilterSyntaxError(`a filter has at most ${MAX_FILTER_BYTES} bytes; this one has ${Buffer.byteLength(source, 'utf8')}`, {
      hint: 'shorten it (move a group of values into one attribute and test that)',
    });
  }
  const toks = tokenize(source);
  let p = 0;
  const peek = () => toks[p]!;
  const isWord = (w: string) => {
    const t = peek();
    return t.t === 'ident' && t.v === w;
  };
  const describe = (t: Token) => (t.t === 'end' ? 'the end of the filter' : t.t === 'string' ? `the string "${t.v}"` : `'${t.v}'`);
  const expectOp = (v: string, what: string) => {
    const t = peek();
    if (t.t !== 'op' || t.v !== v) fail(source, t.at, `expected ${what}, found ${describe(t)}`);
    p++;
  };
  const key = (): string => {
    const t = peek();
    if (t.t === 'ident' || t.t === 'string') {
      p++;
      return t.v;
    }
    fail(source, t.at, `expected an attribute key (a name, or a string literal for other characters), found ${describe(t)}`);
  };
  const str = (what: string): string => {
    const t = peek();
    if (t.t !== 'string') fail(source, t.at, `expected ${what} (a string literal in double quotes), found ${describe(t)}`);
    p++;
    return t.v;
  };

  const primary = (): FilterExpr => {
    const t = peek();
    if (isWord('NOT') || (t.t === 'op' && t.v === '-')) {
      p++;
      return { kind: 'not', expr: primary() };
    }
    if (t.t === 'op' && t.v === '(') {
      p++;
      const e = expr();
      expectOp(')', "')' to close the parenthesis");
      return e;
    }
    if (isWord('hasPrefix')) {
      p++;
      expectOp('(', "'(' after hasPrefix");
      attributesWord();
      expectOp('.', "'.' after attributes");
      const k = key();
      expectOp(',', "',' between the attribute and the prefix");
      const prefix = str('the prefix');
      expectOp(')', "')' to close hasPrefix(");
      return { kind: 'prefix', key: k, prefix };
    }
    attributesWord();
    const op = peek();
    if (op.t === 'op' && op.v === ':') {
      p++;
      return { kind: 'has', key: key() };
    }
    if (op.t === 'op' && op.v === '.') {
      p++;
      const k = key();
      const cmp = peek();
      if (cmp.t === 'op' && (cmp.v === '=' || cmp.v === '!=')) {
        p++;
        const value = str('the value to compare with');
        return { kind: cmp.v === '=' ? 'eq' : 'ne', key: k, value };
      }
      fail(source, cmp.at, `expected '=' or '!=' after attributes.${k}, found ${describe(cmp)}`);
    }
    fail(source, op.at, `expected '.' (attributes.KEY = "v") or ':' (attributes:KEY) after attributes, found ${describe(op)}`);
  };
  const attributesWord = () => {
    const t = peek();
    if (!(t.t === 'ident' && t.v === 'attributes')) {
      fail(source, t.at, `expected attributes, hasPrefix(, NOT or '(', found ${describe(t)}${t.t === 'ident' && /^(and|or|not)$/i.test(t.v) ? ' (operators are upper case: AND, OR, NOT)' : ''}`);
    }
    p++;
  };
  const expr = (): FilterExpr => {
    const first = primary();
    const exprs = [first];
    let joiner: 'AND' | 'OR' | undefined;
    while (isWord('AND') || isWord('OR')) {
      const t = peek() as { v: 'AND' | 'OR'; at: number };
      if (joiner !== undefined && joiner !== t.v) fail(source, t.at, `AND and OR cannot be mixed without parentheses: write (a ${joiner} b) ${t.v} c`);
      joiner = t.v;
      p++;
      exprs.push(primary());
    }
    if (joiner === undefined) return first;
    return { kind: joiner === 'AND' ? 'and' : 'or', exprs };
  };

  if (peek().t === 'end') fail(source, 0, 'the filter is empty (leave it out to receive every message)');
  const root = expr();
  const rest = peek();
  if (rest.t !== 'end') fail(source, rest.at, `expected AND, OR or the end of the filter, found ${describe(rest)}`);
  return { source, expr: root, matches: (attrs) => evaluate(root, attrs) };
}

function evaluate(e: FilterExpr, a: Readonly<Record<string, string>>): boolean {
  switch (e.kind) {
    case 'eq':
      return Object.hasOwn(a, e.key) && a[e.key] === e.value;
    case 'ne':
      // As Pub/Sub: != matches a message that lacks the key too.
      return !(Object.hasOwn(a, e.key) && a[e.key] === e.value);
    case 'has':
      return Object.hasOwn(a, e.key);
    case 'prefix':
      return Object.hasOwn(a, e.key) && a[e.key]!.startsWith(e.prefix);
    case 'not':
      return !evaluate(e.expr, a);
    case 'and':
      return e.exprs.every((x) => evaluate(x, a));
    case 'or':
      return e.exprs.some((x) => evaluate(x, a));
  }
}
