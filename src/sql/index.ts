/**
 * SQL in Riffle (DuckDB in this process, loaded on first use): sessions over files and Delta tables, and
 * `sql.transform` in pipelines. Importing this module loads neither DuckDB nor the lakehouse.
 *
 * @example
 * import { SqlSession, sql } from 'riffle/sql';
 * const session = await SqlSession.open();
 * const { rows, scans } = await session.query("SELECT * FROM delta('tables/orders', version => 3) WHERE country = 'fr'");
 * session.close();
 * // in a pipeline, over bounded collections with schemas:
 * const totals = sql.transform('SELECT country, sum(amount) AS total FROM orders GROUP BY country', { inputs: { orders } });
 */
export { SqlSession, type QueryResult, type ResultColumn, type ScanReport, type SqlSessionOptions } from './sql-session.ts';
export { SqlError, locate, type SqlErrorCode } from './sql-error.ts';
export { findTableFunctionCalls, tokenize, TABLE_FUNCTIONS, type TableFunctionCall } from './table-function-calls.ts';
export { inferColumns, type SqlColumnType, type SqlInput, type SqlTransformOptions } from './transform.ts';
export {
  runModels, sourceFreshness, writeDocs, loadGraph, manifestOf, ModelsError,
  type ModelsCommand, type ModelsOptions, type ModelsResult, type NodeResult, type NodeStatus, type FreshnessResult, type ModelsErrorCode,
} from './models/index.ts';
import { transform } from './transform.ts';

/**
 * SQL steps for pipelines.
 *
 * @example
 * const bigOrders = sql.transform('SELECT * FROM orders WHERE amount > 100', { inputs: { orders } });
 */
export const sql = { transform };
