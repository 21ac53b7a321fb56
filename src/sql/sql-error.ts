/**
 * Errors of SQL queries: a RiffleError whose message points at the query (line:column and the line with a caret),
 * and DuckDB's errors translated into it (DuckDB reports them as JSON with `errors_as_json`: type, message,
 * position, candidates).
 */
import { RiffleError } from '../model/index.ts';

/** Codes of SQL errors. */
export type SqlErrorCode =
  | 'SQL_SYNTAX' | 'SQL_UNKNOWN_TABLE' | 'SQL_UNKNOWN_COLUMN' | 'SQL_UNKNOWN_FUNCTION' | 'SQL_TYPE' | 'SQL_INVALID_ARGUMENT'
  | 'SQL_IO' | 'SQL_TABLE_NOT_FOUND' | 'SQL_UNSUPPORTED' | 'SQL_ERROR';

/**
 * A query is wrong (syntax, an unknown table or column, a type error) or could not run. `line` and `column` are
 * 1-based positions in the query as the user wrote it, when known.
 *
 * @example
 * try { await session.query('selec 1'); } catch (e) { if (e instanceof SqlError) console.log(e.line, e.column); }
 */
export class SqlError extends RiffleError {
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(code: SqlErrorCode, message: string, opts: { sql?: string; position?: number; hint?: string; cause?: unknown; domain?: 'user' | 'external' | 'internal' } = {}) {
    const where = opts.sql !== undefined && opts.position !== undefined ? locate(opts.sql, opts.position) : undefined;
    const text = where ? `${message} (at line ${where.line}, column ${where.column})\n${where.excerpt}` : message;
    super(code, text, { domain: opts.domain ?? 'user', hint: opts.hint, cause: opts.cause, context: where ? { line: where.line, column: where.column } : {} });
    this.line = where?.line;
    this.column = where?.column;
  }
}

/**
 * Line, column (1-based, in characters) and the line with a caret under the position.
 *
 * @example
 * locate('select 1\nfrom x', 14); // { line: 2, column: 6, excerpt: '  from x\n       ^' }
 */
export function locate(sql: string, position: number): { line: number; column: number; excerpt: string } {
  const at = Math.max(0, Math.min(position, sql.length));
  const lineStart = sql.lastIndexOf('\n', at - 1) + 1;
  const lineEndRaw = sql.indexOf('\n', at);
  const lineEnd = lineEndRaw < 0 ? sql.length : lineEndRaw;
  const line = sql.slice(0, at).split('\n').length;
  const column = at - lineStart + 1;
  let text = sql.slice(lineStart, lineEnd).replace(/\t/g, ' ').replace(/\r$/, '');
  let caret = column - 1;
  if (text.length > 100) { // a window around the position
    const from = Math.max(0, caret - 60);
    text = `${from > 0 ? '…' : ''}${text.slice(from, from + 100)}${from + 100 < text.length ? '…' : ''}`;
    caret = caret - from + (from > 0 ? 1 : 0);
  }
  return { line, column, excerpt: `  ${text}\n  ${' '.repeat(caret)}^` };
}

/** DuckDB's error as JSON (`SET errors_as_json = true`), when it is. */
interface DuckDbErrorJson {
  exception_type?: string;
  exception_message?: string;
  error_subtype?: string;
  position?: string;
  candidates?: string;
  name?: string;
  type?: string;
}

function parseDuckDbError(message: string): DuckDbErrorJson | undefined {
  const at = message.indexOf('{"exception_type"');
  if (at < 0) return undefined;
  try {
    return JSON.parse(message.slice(at)) as DuckDbErrorJson;
  } catch {
    return undefined;
  }
}

/**
 * A DuckDB error as a SqlError, positions mapped back to the user's query by `mapPosition` (the query DuckDB ran may
 * be a rewrite of it). DuckDB's positions are UTF-8 byte offsets in the query it ran.
 *
 * @example
 * throw fromDuckDbError(e, ranSql, userSql, (p) => p);
 */
export function fromDuckDbError(error: unknown, ran: string, sql: string, mapPosition: (p: number) => number): SqlError {
  const raw = error instanceof Error ? error.message : String(error);
  const json = parseDuckDbError(raw);
  if (!json) return new SqlError('SQL_ERROR', raw.replace(/\n\nLINE \d+:[\s\S]*$/, ''), { cause: error });
  const type = json.exception_type ?? 'Error';
  let message = (json.exception_message ?? raw).trim();
  const byte = json.position !== undefined ? Number(json.position) : undefined;
  const position = byte !== undefined && Number.isFinite(byte) ? mapPosition(Buffer.from(ran).subarray(0, byte).toString().length) : undefined;
  const candidates = (json.candidates ?? '').split(',').map((c) => c.trim()).filter((c) => c !== '' && !c.startsWith('__riffle_'));
  // DuckDB's own suggestion lines are replaced by ours (which leave out Riffle's internal relations).
  message = message.replace(/\n(Did you mean|Candidate bindings:|\tCandidate functions:)[\s\S]*$/, '').trim();
  let code: SqlErrorCode = 'SQL_ERROR';
  let hint: string | undefined;
  const subtype = json.error_subtype ?? '';
  if (type === 'Parser') {
    code = 'SQL_SYNTAX';
    message = `syntax error: ${message.replace(/^syntax error /, '')}`;
  } else if (type === 'Catalog' && /Table Function/.test(json.type ?? '')) {
    code = 'SQL_UNKNOWN_FUNCTION';
    hint = candidates.length ? `did you mean ${quoteList(candidates)}? Riffle adds delta(), table_history(), table_files(), table_changes()` : 'Riffle adds delta(), table_history(), table_files(), table_changes()';
  } else if (type === 'Catalog' && /Table|View/.test(json.type ?? '')) {
    code = 'SQL_UNKNOWN_TABLE';
    hint = `${candidates.length ? `did you mean ${quoteList(candidates)}? ` : ''}files are read with read_parquet('f.parquet'), read_csv('f.csv'), read_json('f.jsonl'), Delta tables with delta('path')`;
  } else if (type === 'Catalog' && /Function/.test(json.type ?? '')) {
    code = 'SQL_UNKNOWN_FUNCTION';
    if (candidates.length) hint = `did you mean ${quoteList(candidates)}?`;
  } else if (type === 'Binder' && subtype === 'COLUMN_NOT_FOUND') {
    code = 'SQL_UNKNOWN_COLUMN';
    hint = candidates.length ? `did you mean ${quoteList(candidates)}?` : undefined;
  } else if (type === 'Binder' && subtype === 'NO_MATCHING_FUNCTION') {
    code = 'SQL_TYPE';
    hint = 'add an explicit cast (CAST(x AS type) or x::type)';
  } else if (type === 'Conversion' || type === 'Mismatch Type' || type === 'Binder') {
    code = type === 'Binder' ? 'SQL_ERROR' : 'SQL_TYPE';
  } else if (type === 'IO') {
    code = 'SQL_IO';
  } else if (type === 'Not implemented') {
    code = 'SQL_UNSUPPORTED';
  }
  return new SqlError(code, message, { sql, position, hint, cause: error });
}

function quoteList(names: readonly string[]): string {
  return names.slice(0, 5).map((n) => `'${n.replace(/^"(.*)"$/, '$1')}'`).join(', ');
}
