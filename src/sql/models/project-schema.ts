/**
 * The schemas of a model project's files, dbt's spellings: the project file (`riffle_project.yml` or
 * `dbt_project.yml`), `profiles.yml` (the DuckDB target), and the property files (`models/**.yml`: models, columns,
 * tests, sources, seeds). Strict: an unknown key is an error naming file, line and key (src/config).
 */
import { z } from 'zod';

const stringOrList = z.union([z.string(), z.array(z.string())]);

/** Configuration keys of models (in `{{ config(...) }}`, property files and the project file's `models:` tree). */
export const modelConfigShape = {
  materialized: z.enum(['view', 'table', 'ephemeral', 'incremental', 'delta']),
  unique_key: stringOrList,
  incremental_strategy: z.enum(['append', 'merge', 'delete+insert', 'insert_overwrite']),
  partition_by: stringOrList,
  merge_update_columns: z.array(z.string()),
  on_schema_change: z.enum(['ignore', 'fail', 'append_new_columns', 'sync_all_columns']),
  full_refresh: z.boolean(),
  tags: stringOrList,
  enabled: z.boolean(),
  alias: z.string(),
  meta: z.record(z.string(), z.unknown()),
  docs: z.strictObject({ show: z.boolean().optional(), node_color: z.string().optional() }),
  /** The `delta` materialization: where the table lives (relative to the project folder). */
  location: z.string(),
};
export const modelConfigSchema = z.strictObject(modelConfigShape).partial();
export type ModelConfigInput = z.output<typeof modelConfigSchema>;

/** Configuration keys of seeds. */
export const seedConfigShape = {
  column_types: z.record(z.string(), z.string()),
  delimiter: z.string().length(1),
  quote_columns: z.boolean(),
  tags: stringOrList,
  enabled: z.boolean(),
  alias: z.string(),
  meta: z.record(z.string(), z.unknown()),
  docs: z.strictObject({ show: z.boolean().optional(), node_color: z.string().optional() }),
};
export const seedConfigSchema = z.strictObject(seedConfigShape).partial();
export type SeedConfigInput = z.output<typeof seedConfigSchema>;

/** Configuration keys of tests. */
export const testConfigShape = {
  severity: z.string().regex(/^(warn|error)$/i, 'expected warn or error'),
  where: z.string(),
  store_failures: z.boolean(),
  warn_if: z.string(),
  error_if: z.string(),
  limit: z.number().int().positive(),
  tags: stringOrList,
  enabled: z.boolean(),
  meta: z.record(z.string(), z.unknown()),
};
export const testConfigSchema = z.strictObject(testConfigShape).partial();
export type TestConfigInput = z.output<typeof testConfigSchema>;

/** The project file. `models`, `seeds` and `data_tests` are trees of folders and `+key` configs, checked apart. */
export const projectFileSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a name of letters, digits and underscores'),
  version: z.union([z.string(), z.number()]).optional(),
  'config-version': z.literal(2).optional(),
  profile: z.string().optional(),
  'model-paths': z.array(z.string()).optional(),
  'seed-paths': z.array(z.string()).optional(),
  'macro-paths': z.array(z.string()).optional(),
  'test-paths': z.array(z.string()).optional(),
  'analysis-paths': z.array(z.string()).optional(),
  'snapshot-paths': z.array(z.string()).optional(),
  'docs-paths': z.array(z.string()).optional(),
  'target-path': z.string().optional(),
  'clean-targets': z.array(z.string()).optional(),
  'require-dbt-version': stringOrList.optional(),
  vars: z.record(z.string(), z.unknown()).optional(),
  models: z.record(z.string(), z.unknown()).optional(),
  seeds: z.record(z.string(), z.unknown()).optional(),
  data_tests: z.record(z.string(), z.unknown()).optional(),
  tests: z.record(z.string(), z.unknown()).optional(),
});
export type ProjectFile = z.output<typeof projectFileSchema>;

/** `profiles.yml`: `<profile>: { target: dev, outputs: { dev: { type: duckdb, path: ... } } }`. */
export const profilesFileSchema = z.record(
  z.string(),
  z.strictObject({
    target: z.string().optional(),
    outputs: z.record(
      z.string(),
      z.strictObject({
        type: z.literal('duckdb'),
        path: z.string().optional(),
        schema: z.literal('main').optional(),
        threads: z.number().int().positive().optional(),
        database: z.string().optional(),
      }),
    ),
  }),
);
export type ProfilesFile = z.output<typeof profilesFileSchema>;

/** A test entry: `unique`, or `{ accepted_values: { values: [...], config: {...} } }`. */
const testEntry = z.union([z.string(), z.record(z.string(), z.union([z.record(z.string(), z.unknown()), z.null()]))]);

const columnSchema = z.strictObject({
  name: z.string(),
  description: z.string().optional(),
  data_type: z.string().optional(),
  quote: z.boolean().optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
  tags: stringOrList.optional(),
  tests: z.array(testEntry).optional(),
  data_tests: z.array(testEntry).optional(),
  constraints: z.array(z.unknown()).optional(),
});
export type ColumnProps = z.output<typeof columnSchema>;

const freshnessSchema = z.union([
  z.null(),
  z.strictObject({
    warn_after: z.strictObject({ count: z.number().int().positive(), period: z.enum(['minute', 'hour', 'day']) }).optional(),
    error_after: z.strictObject({ count: z.number().int().positive(), period: z.enum(['minute', 'hour', 'day']) }).optional(),
    filter: z.string().optional(),
  }),
]);
export type FreshnessProps = z.output<typeof freshnessSchema>;

const sourceTableSchema = z.strictObject({
  name: z.string(),
  identifier: z.string().optional(),
  description: z.string().optional(),
  loaded_at_field: z.string().optional(),
  freshness: freshnessSchema.optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
  tags: stringOrList.optional(),
  columns: z.array(columnSchema).optional(),
  tests: z.array(testEntry).optional(),
  data_tests: z.array(testEntry).optional(),
});

const sourceSchema = z.strictObject({
  name: z.string(),
  description: z.string().optional(),
  database: z.string().optional(),
  schema: z.string().optional(),
  loader: z.string().optional(),
  loaded_at_field: z.string().optional(),
  freshness: freshnessSchema.optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
  tags: stringOrList.optional(),
  tables: z.array(sourceTableSchema),
});
export type SourceProps = z.output<typeof sourceSchema>;

const modelPropsSchema = z.strictObject({
  name: z.string(),
  description: z.string().optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
  docs: z.record(z.string(), z.unknown()).optional(),
  columns: z.array(columnSchema).optional(),
  tests: z.array(testEntry).optional(),
  data_tests: z.array(testEntry).optional(),
});
export type ModelProps = z.output<typeof modelPropsSchema>;

/** A property file (`version: 2`, models, sources, seeds). */
export const propertiesFileSchema = z.strictObject({
  version: z.literal(2),
  models: z.array(modelPropsSchema).optional(),
  seeds: z.array(modelPropsSchema).optional(),
  sources: z.array(sourceSchema).optional(),
  macros: z.array(z.strictObject({ name: z.string(), description: z.string().optional(), arguments: z.array(z.unknown()).optional() })).optional(),
});
export type PropertiesFile = z.output<typeof propertiesFileSchema>;
