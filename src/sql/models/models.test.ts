// SQL models through the API: errors that name file, line and what to do; selectors; every incremental strategy
// over two runs; test severities, thresholds and stored failures; ephemeral models within ephemeral models.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SqlSession } from '../sql-session.ts';
import { loadGraph, runModels, selectNodes, type ModelsOptions } from './index.ts';

const work = mkdtempSync(join(tmpdir(), 'riffle-models-'));
after(() => rmSync(work, { recursive: true, force: true }));
let count = 0;

function projectOf(files: Record<string, string>): string {
  const dir = join(work, `p${count++}`);
  for (const [name, text] of Object.entries({ 'riffle_project.yml': 'name: demo\n', ...files })) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

async function rows(dir: string, sql: string): Promise<unknown[][]> {
  const session = await SqlSession.open({ database: join(dir, 'target/dev.duckdb') });
  try {
    return (await session.query(sql)).rows.map((r) => [...r]);
  } finally {
    session.close();
  }
}

const build = (dir: string, o: Partial<ModelsOptions> = {}) => runModels('build', { projectDir: dir, ...o });

describe('project errors', () => {
  it('a cycle names its path and files', async () => {
    const dir = projectOf({ 'models/a.sql': "select * from {{ ref('b') }}", 'models/b.sql': "select * from {{ ref('a') }}" });
    await assert.rejects(build(dir), (e: Error & { code?: string }) => e.code === 'MODELS_CYCLE' && /a \(models\/a\.sql\) -> b \(models\/b\.sql\) -> a \(models\/a\.sql\)|b \(models\/b\.sql\) -> a \(models\/a\.sql\) -> b/.test(e.message));
  });

  it('a template error names file, line and column', async () => {
    const dir = projectOf({ 'models/x.sql': 'select 1 as one\n{% if %}\n' });
    await assert.rejects(build(dir), (e: Error & { code?: string }) => e.code === 'MODELS_TEMPLATE' && /^models\/x\.sql:2:\d+: /.test(e.message));
  });

  it('an unknown config() key is refused with the closest key', async () => {
    const dir = projectOf({ 'models/x.sql': "\n{{ config(materialzed='table') }}\nselect 1 as one" });
    await assert.rejects(build(dir), /models\/x\.sql:2: unknown config key 'materialzed' \(did you mean 'materialized'\?\)/);
  });

  it('unknown keys of the project file and property files name file, line and key', async () => {
    const a = projectOf({ 'riffle_project.yml': 'name: demo\nmodels:\n  demo:\n    +materialised: table\n', 'models/x.sql': 'select 1 as one' });
    await assert.rejects(build(a), /riffle_project\.yml:4:\d+: .*unknown config key `\+materialised` \(did you mean `materialized`\?\)/);
    const b = projectOf({ 'models/x.sql': 'select 1 as one', 'models/schema.yml': 'version: 2\nmodels:\n  - name: x\n    colums: []\n' });
    await assert.rejects(build(b), /models\/schema\.yml:4:\d+: .*unknown key `colums` \(did you mean `columns`\?\)/);
    const c = projectOf({ 'models/x.sql': 'select 1 as one', 'models/schema.yml': 'version: 2\nmodels:\n  - name: x\n    columns:\n      - name: one\n        tests: [uniqe]\n' });
    await assert.rejects(build(c), /models\/schema\.yml:6: unknown test 'uniqe' \(did you mean 'unique'\?\)/);
    const d = projectOf({ 'models/x.sql': "{{ config(materialized='delta') }}\nselect 1 as one" });
    await assert.rejects(build(d), /models\/x\.sql: a model materialized as 'delta' needs a location/);
  });

  it('a var without a value or default, and a missing project file, say what to do', async () => {
    const dir = projectOf({ 'models/x.sql': "select 1 as one\nwhere {{ var('day') }} > 0" });
    await assert.rejects(build(dir), (e: Error & { code?: string }) => e.code === 'MODELS_VAR' && /^models\/x\.sql:2:\d+: var\('day'\) is not set and has no default/.test(e.message) && /--vars/.test(e.message));
    await assert.rejects(build(join(work, 'nowhere')), /no project file in .*riffle_project\.yml or dbt_project\.yml/);
  });

  it('a model SQL error is that model\'s error (file, DuckDB\'s message); its children are skipped, others run', async () => {
    const dir = projectOf({ 'models/bad.sql': 'select no_such_column from (select 1 as one)', 'models/child.sql': "select * from {{ ref('bad') }}", 'models/fine.sql': 'select 1 as one' });
    const r = await build(dir);
    const by = Object.fromEntries(r.results.map((x) => [x.name, x]));
    assert.equal(by.bad.status, 'error');
    assert.match(by.bad.message ?? '', /models\/bad\.sql: .*no_such_column/);
    assert.equal(by.child.status, 'skipped');
    assert.equal(by.fine.status, 'success');
    assert.equal(r.ok, false);
  });
});

describe('selectors', () => {
  const example = join(import.meta.dirname, '../../../examples/models');
  const pick = async (select: string[], exclude: string[] = []) => {
    const { graph } = await loadGraph({ projectDir: example });
    return selectNodes(graph, { select, exclude, types: new Set(['model']) }).map((id) => id.slice(6)).sort();
  };
  it('+model, model+, n+model, tag:, path:, intersections, unions and --exclude', async () => {
    assert.deepEqual(await pick(['+fct_orders']), ['fct_orders', 'int_order_payments', 'int_order_status', 'stg_order_events', 'stg_orders', 'stg_payments']);
    assert.deepEqual(await pick(['fct_orders+']), ['daily_revenue_overwrite', 'dim_customers', 'fct_daily_revenue', 'fct_orders', 'orders_lake', 'revenue_by_status']);
    assert.deepEqual(await pick(['1+dim_customers']), ['dim_customers', 'fct_orders', 'stg_customers']);
    assert.deepEqual(await pick(['tag:staging']), ['stg_customers', 'stg_order_events', 'stg_orders', 'stg_payments']);
    assert.deepEqual(await pick(['path:models/marts']), ['dim_customers', 'fct_daily_revenue', 'fct_orders']);
    assert.deepEqual(await pick(['tag:marts,config.materialized:incremental']), ['fct_daily_revenue', 'fct_orders']);
    assert.deepEqual(await pick(['tag:marts', 'stg_orders']), ['dim_customers', 'fct_daily_revenue', 'fct_orders', 'stg_orders']);
    assert.deepEqual(await pick(['fct_orders+'], ['path:models/riffle_only']), ['dim_customers', 'fct_daily_revenue', 'fct_orders']);
    assert.deepEqual(await pick(['source:shop.raw_orders+']), ['daily_revenue_overwrite', 'dim_customers', 'fct_daily_revenue', 'fct_orders', 'orders_lake', 'revenue_by_status', 'stg_orders']);
  });
  it('a selector that matches nothing names the closest node', async () => {
    await assert.rejects(pick(['fct_order']), /selector 'fct_order' matches nothing.*did you mean 'fct_orders'/);
    await assert.rejects(pick(['tagg:x']), /unknown method 'tagg' \(did you mean 'tag'\?\)/);
  });
});

describe('incremental strategies over two runs', () => {
  const seed1 = 'id,day,v\n1,2024-01-01,10\n2,2024-01-02,20\n';
  const seed2 = 'id,day,v\n4,2024-01-02,5\n3,2024-01-03,30\n1,2024-01-01,11\n';
  const model = (cfg: string) => `{{ config(materialized='incremental'${cfg}) }}\nselect id, day, v from {{ ref('events') }}\n{% if is_incremental() %}where true{% endif %}\n`;
  it('append, merge, delete+insert, insert_overwrite and --full-refresh', async () => {
    const dir = projectOf({
      'seeds/events.csv': seed1,
      'models/appended.sql': model(", incremental_strategy='append'"),
      'models/merged.sql': model(", unique_key='id', incremental_strategy='merge'"),
      'models/replaced.sql': model(", unique_key='id', incremental_strategy='delete+insert'"),
      'models/overwritten.sql': model(", partition_by='day', incremental_strategy='insert_overwrite'"),
    });
    assert.equal((await build(dir)).ok, true);
    writeFileSync(join(dir, 'seeds/events.csv'), seed2);
    const second = await build(dir);
    assert.equal(second.ok, true);
    assert.equal(second.results.find((r) => r.name === 'merged')?.newRows, 3);
    const q = (t: string) => rows(dir, `select id, v from main.${t} order by id, v`);
    assert.deepEqual(await q('appended'), [[1, 10], [1, 11], [2, 20], [3, 30], [4, 5]]);
    assert.deepEqual(await q('merged'), [[1, 11], [2, 20], [3, 30], [4, 5]]);
    assert.deepEqual(await q('replaced'), [[1, 11], [2, 20], [3, 30], [4, 5]]);
    assert.deepEqual(await q('overwritten'), [[1, 11], [3, 30], [4, 5]], 'the days of the new rows are replaced whole');
    await runModels('run', { projectDir: dir, fullRefresh: true, select: ['appended'] });
    assert.deepEqual(await q('appended'), [[1, 11], [3, 30], [4, 5]]);
  });

  it("on_schema_change: 'fail' refuses a new column, 'append_new_columns' adds it", async () => {
    const dir = projectOf({
      'seeds/events.csv': seed1,
      'models/strict.sql': "{{ config(materialized='incremental', on_schema_change='fail') }}\nselect id{% if var('wide', false) %}, v{% endif %} from {{ ref('events') }}",
      'models/growing.sql': "{{ config(materialized='incremental', on_schema_change='append_new_columns') }}\nselect id{% if var('wide', false) %}, v{% endif %} from {{ ref('events') }}",
    });
    await build(dir);
    const r = await build(dir, { vars: { wide: true } });
    assert.match(r.results.find((x) => x.name === 'strict')?.message ?? '', /columns differ from strict's \(\+v\) and on_schema_change is 'fail'/);
    assert.equal(r.results.find((x) => x.name === 'growing')?.status, 'success');
    assert.deepEqual(await rows(dir, 'select id, v from main.growing order by id, v nulls first'), [[1, null], [1, 10], [2, null], [2, 20]]);
  });
});

describe('tests', () => {
  it('severities, thresholds, stored failures, custom generic and singular tests', async () => {
    const dir = projectOf({
      'seeds/people.csv': 'id,name,age\n1,ann,30\n2,,40\n2,bob,-1\n',
      'macros/positive.sql': '{% test positive(model, column_name) %}select * from {{ model }} where {{ column_name }} <= 0{% endtest %}',
      'seeds/schema.yml': [
        'version: 2', 'seeds:', '  - name: people', '    columns:',
        '      - name: id', '        tests: [unique]',
        '      - name: name', '        tests:', '          - not_null:', '              severity: warn', '              store_failures: true',
        '      - name: age', '        tests:', '          - positive:', '              config: {error_if: ">5"}',
        '',
      ].join('\n'),
      'tests/no_bobs.sql': "select * from {{ ref('people') }} where name = 'bob'",
    });
    const r = await runModels('build', { projectDir: dir });
    const by = Object.fromEntries(r.results.map((x) => [x.name, x]));
    assert.equal(by.unique_people_id.status, 'fail');
    assert.equal(by.unique_people_id.failures, 1);
    assert.equal(by.not_null_people_name.status, 'warn');
    assert.equal(by.positive_people_age.status, 'warn', 'one failing row is under error_if > 5: a warning');
    assert.equal(by.no_bobs.status, 'fail');
    assert.deepEqual(await rows(dir, 'select id, age from main_dbt_test__audit.not_null_people_name'), [[2, 40]]);
    assert.deepEqual(r.counts, { success: 1, error: 0, skipped: 0, pass: 0, warn: 2, fail: 2 });
  });
});

describe('templating', () => {
  it('ephemeral models within ephemeral models, macros with set/for, vars and this', async () => {
    const dir = projectOf({
      'macros/cols.sql': "{% macro sum_of(cols) %}{% set parts = [] %}{% for c in cols %}{% set _ = parts.push(c) %}{% endfor %}{{ parts | join(' + ') }}{% endmacro %}",
      'models/base.sql': "{{ config(materialized='ephemeral') }}\nselect 1 as a, 2 as b",
      'models/mid.sql': "{{ config(materialized='ephemeral') }}\nselect *, {{ sum_of(['a', 'b']) }} as total from {{ ref('base') }}",
      'models/top.sql': "{{ config(materialized='table') }}\nselect *, '{{ this }}' as me, {{ var('k', 7) }} as k from {{ ref('mid') }}",
    });
    const r = await build(dir);
    assert.equal(r.ok, true, JSON.stringify(r.results));
    assert.deepEqual(await rows(dir, 'select a, b, total, me, k from main.top'), [[1, 2, 3, '"main"."top"', 7]]);
    const compiled = await runModels('compile', { projectDir: dir, select: ['top'] });
    assert.match(compiled.results[0].sql ?? '', /with __dbt__cte__base as \([\s\S]*\),\n__dbt__cte__mid as/);
  });
});
