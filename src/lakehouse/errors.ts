/**
 * Errors of the Delta Lake layer. Each has a stable code and says what to do next; all are `RiffleError`s.
 */
import { RiffleError, type ErrorContext } from '../model/index.ts';
import { compareUtf8 } from './value-order.ts';

/**
 * A row does not match the table schema (unknown column, wrong type, null in a non-nullable column). Nothing was
 * written.
 *
 * @example
 * try { await table.append([{ id: 'x' }]); } catch (e) { if (e instanceof SchemaMismatchError) console.log(e.column); }
 */
export class SchemaMismatchError extends RiffleError {
  readonly column: string;
  constructor(column: string, message: string, context: ErrorContext = {}, hint = 'fix the rows (or the table schema); no file was written and the table is unchanged') {
    super('DELTA_SCHEMA_MISMATCH', message, { domain: 'user', context: { column, ...context }, hint });
    this.column = column;
  }
}

/**
 * Another writer committed a change that conflicts with this transaction (per Delta's conflict rules), and retrying
 * would be wrong: the transaction read or removed data the other commit changed.
 *
 * @example
 * try { await table.overwrite(rows); } catch (e) { if (e instanceof ConcurrentModificationError) await retryLater(); }
 */
export class ConcurrentModificationError extends RiffleError {
  readonly conflict: string;
  readonly winningVersion: number;
  constructor(conflict: string, winningVersion: number, message: string) {
    super('DELTA_CONCURRENT_MODIFICATION', message, {
      domain: 'user',
      context: { conflict, winningVersion },
      hint: 're-read the table and run the operation again',
    });
    this.conflict = conflict;
    this.winningVersion = winningVersion;
  }
}

/**
 * The table uses a protocol version or table feature Riffle does not implement (for reading or for writing). Riffle
 * refuses rather than risk wrong results.
 *
 * @example
 * try { await DeltaTable.open(path); } catch (e) { if (e instanceof UnsupportedFeatureError) console.log(e.feature); }
 */
export class UnsupportedFeatureError extends RiffleError {
  /** The first of `features`. */
  readonly feature: string;
  /** Every unsupported feature found, sorted. */
  readonly features: readonly string[];
  constructor(feature: string | readonly string[], access: 'read' | 'write', detail: string) {
    const features = typeof feature === 'string' ? [feature] : [...new Set(feature)].sort(compareUtf8);
    const named = features.map((f) => `'${f}'`).join(', ');
    super('DELTA_UNSUPPORTED_FEATURE', `table feature${features.length > 1 ? 's' : ''} ${named} ${features.length > 1 ? 'are' : 'is'} not supported by Riffle for ${access === 'read' ? 'reading' : 'writing'}: ${detail}`, {
      domain: 'user',
      context: { feature: features.join(', '), access },
      hint: access === 'read'
        ? 'read this table with an engine that supports the feature (e.g. delta-rs, Spark), or rewrite it without the feature'
        : 'write to this table with an engine that supports the feature, or recreate the table without it',
    });
    this.feature = features[0];
    this.features = features;
  }
}

/**
 * The path holds no Delta table, the requested version or timestamp does not exist, or the log is malformed.
 *
 * @example
 * try { await DeltaTable.open('/nope'); } catch (e) { if (e instanceof DeltaTableError) console.log(e.code); }
 */
export class DeltaTableError extends RiffleError {
  constructor(code: DeltaTableErrorCode, message: string, opts: { context?: ErrorContext; hint?: string; cause?: unknown } = {}) {
    super(code, message, { domain: code === 'DELTA_LOG_INVALID' || code === 'DELTA_LOG_CORRUPT' ? 'external' : 'user', ...opts });
  }
}

/**
 * Codes of `DeltaTableError`. `DELTA_LOG_CORRUPT`: a log file cannot be read (not JSON, a malformed action, an empty
 * commit, an unreadable checkpoint with no way around it) — the message names the file and the reason.
 * `DELTA_EXTERNAL_FILE`: the log points at a file outside the table (refused unless the reader allows external files).
 * `DELTA_NOT_EMPTY`: a new table was asked for in a folder that already holds other files.
 */
export type DeltaTableErrorCode = 'DELTA_TABLE_NOT_FOUND' | 'DELTA_TABLE_EXISTS' | 'DELTA_VERSION_NOT_FOUND' | 'DELTA_LOG_INVALID'
  | 'DELTA_LOG_CORRUPT' | 'DELTA_EXTERNAL_FILE' | 'DELTA_NOT_EMPTY' | 'DELTA_INVALID_ARGUMENT';

/**
 * A Parquet file cannot be decoded: truncated, a corrupt footer or page, a page checksum (CRC-32) that does not match,
 * or sizes and counts that contradict each other. Names the file and, when known, the row group and column. Nothing
 * read from the file is returned.
 *
 * @example
 * try { await table.read(); } catch (e) { if (e instanceof ParquetFileError) console.log(e.file, e.rowGroup, e.column); }
 */
export class ParquetFileError extends RiffleError {
  readonly file: string;
  readonly rowGroup: number | undefined;
  readonly column: string | undefined;
  constructor(file: string, reason: string, opts: { rowGroup?: number; column?: string; cause?: unknown } = {}) {
    const where = [opts.rowGroup !== undefined ? `row group ${opts.rowGroup}` : '', opts.column !== undefined ? `column '${opts.column}'` : ''].filter(Boolean).join(', ');
    super('PARQUET_CORRUPT', `Parquet file ${file} cannot be read${where ? ` (${where})` : ''}: ${reason}`, {
      domain: 'external',
      context: { file, ...(opts.rowGroup !== undefined ? { rowGroup: opts.rowGroup } : {}), ...(opts.column !== undefined ? { column: opts.column } : {}) },
      hint: 'the file is damaged or not Parquet; restore it from a copy (for a table: `riffle table restore` to a version before it was written, or rewrite it)',
      ...(opts.cause !== undefined ? { cause: opts.cause } : {}),
    });
    this.file = file;
    this.rowGroup = opts.rowGroup;
    this.column = opts.column;
  }
}
