/**
 * `riffle models run|test|build|seed|compile|ls|docs|freshness`: SQL models (what dbt does) over a project folder
 * (`riffle_project.yml` or `dbt_project.yml`), into a DuckDB database file or Delta tables. Definitions only; the
 * actions (models-actions.ts) load the models code and DuckDB when one runs.
 */
import { action, defineCommand, type CliContext, type Command } from './command-kit.ts';

const NOTES = `
A project folder holds riffle_project.yml or dbt_project.yml (same format), models/**/*.sql (Jinja: ref(), source(),
var(), config(), is_incremental(), this, macros), seeds/*.csv, macros/*.sql, tests/*.sql and property files
(models/**/*.yml: tests, sources, descriptions). The database is profiles.yml's duckdb path for the target, else
target/<target>.duckdb.
Selectors (dbt's): name, +name (and ancestors), name+ (and descendants), 2+name, @name, tag:x, path:models/staging,
source:raw, config.materialized:incremental, resource_type:seed; space = union, comma = intersection.
Exit codes: 0 done, 1 a model errored or a test failed (or a source is past error_after), 2 usage.`;

type Sub = 'run' | 'test' | 'build' | 'seed' | 'compile' | 'ls' | 'docs' | 'freshness';

const SUBCOMMANDS: ReadonlyArray<readonly [Sub, string, ReadonlyArray<readonly [string, string]>]> = [
  ['run', 'materialize the selected models (views, tables, incremental, ephemeral, delta)', [
    ['riffle models run --project-dir examples/models', 'every model'],
    ['riffle models run -s +fct_orders --full-refresh', 'a model and its parents, incremental ones rebuilt'],
  ]],
  ['test', 'run the selected data tests (generic and singular)', [
    ['riffle models test', 'every test'],
    ['riffle models test -s stg_orders --json', "a model's tests, as JSON"],
  ]],
  ['build', 'seeds, models and tests in dependency order (a failing test skips what is downstream)', [
    ['riffle models build --project-dir examples/models', 'everything'],
    ['riffle models build --vars \'{as_of: "2024-01-06"}\'', 'with a var'],
  ]],
  ['seed', 'load the CSV seeds as tables', [['riffle models seed', 'every seed'], ['riffle models seed -s raw_orders', 'one seed']]],
  ['compile', 'print the compiled SQL of the selected models and tests', [['riffle models compile -s fct_orders', "a model's SQL (ephemeral parents inlined)"]]],
  ['ls', 'list the selected nodes', [['riffle models ls -s tag:marts', 'the marts'], ['riffle models ls --json', 'every node, as JSON']]],
  ['docs', 'write target/manifest.json and target/index.html (a lineage graph page)', [['riffle models docs --project-dir examples/models', 'the manifest and the lineage page']]],
  ['freshness', "check the sources' freshness (loaded_at_field against warn_after/error_after)", [
    ['riffle models freshness', 'every source with freshness rules'],
    ['riffle models freshness --now 2024-01-07T00:00:00Z --json', 'judged at a given time'],
  ]],
];

/** `riffle models`. */
export function defineModelsCommand(ctx: CliContext): Command {
  const cmd = defineCommand('models', 'SQL models (dbt-like): run, test, build, docs over a project folder', [
    ['riffle models build --project-dir examples/models', 'seeds, models and tests'],
    ['riffle models run --select +fct_orders --vars \'{as_of: "2024-01-06"}\'', 'a model and its parents, with a var'],
    ['riffle models test --select tag:marts --json', 'tests of the marts, as JSON'],
    ['riffle models docs', 'the lineage page'],
  ]);
  cmd.addHelpText('after', NOTES);
  for (const [name, description, examples] of SUBCOMMANDS) {
    const sub = defineCommand(name, description, examples);
    sub
      .option('-s, --select <selector...>', 'nodes to include (dbt selector syntax)')
      .option('--exclude <selector...>', 'nodes to leave out')
      .option('--project-dir <dir>', 'the project folder (default: the working directory)')
      .option('--target <name>', "the target of profiles.yml (default: the profile's target, else dev)")
      .option('--vars <yaml>', "variables as YAML or JSON, overriding the project's vars: '{as_of: 2024-01-06}'")
      .option('--json', 'print the result as JSON on stdout');
    if (name === 'run' || name === 'build') sub.option('--full-refresh', 'rebuild incremental models from scratch');
    if (name === 'freshness') sub.option('--now <timestamp>', 'judge freshness at this ISO time (default: now)');
    sub.action(action(ctx, async (c) => (await import('./models-actions.ts')).modelsAction(name, c, ctx.io)));
    cmd.addCommand(sub);
  }
  return cmd;
}
