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
  constructor(code: 'DELTA_TABLE_NOT_FOUND' | 'DELTA_TABLE_EXISTS' | 'DELTA_VERSION_NOT_FOUND' | 'DELTA_LOG_INVALID' | 'DELTA_INVALID_ARGUMENT',
    message: string, opts: { context?: ErrorContext; hint?: string; cause?: unknown } = {}) {
    super(code, message, { domain: code === 'DELTA_LOG_INVALID' ? 'external' : 'user', ...opts });
  }
}
