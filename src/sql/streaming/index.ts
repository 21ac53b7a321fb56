/**
 * Streaming SQL: a subset of SQL (Flink's and Beam SQL's window spellings, EMIT) compiled to Riffle transforms, so
 * that `sql.transform` runs over unbounded collections without DuckDB. Grammar and semantics: ../README.md.
 */
export { parseStreamingSql } from './parser.ts';
export { planStreamingSql, type PlanInput } from './planner.ts';
export { usesStreamingSyntax, type Select } from './ast.ts';
