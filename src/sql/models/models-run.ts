/**
 * Running a model project: `run` (models), `test` (tests), `build` (seeds, models and tests, each model's tests
 * before its children: a test failing with severity error skips what lies downstream), `seed`, `compile`, `ls`.
 *
 * Strategy: 1. load and validate the project (every file, before any SQL runs); 2. load the macros and parse every
 * model into the graph (refs, configs, cycles); 3. select nodes; 4. open the target's DuckDB database file and run
 * the selected nodes in dependency order, tests first among the ready ones; a node whose parent failed or was skipped
 * is skipped; 5. report every node's status, time and rows.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SqlSession } from '../sql-session.ts';
import { deltaLocation, materialize, relationKind } from './materialize.ts';
import { ModelsError } from './models-error.ts';
import { buildGraph, relationOf, type GraphNode, type ModelNode, type ProjectGraph, type SeedNode, type TestNode } from './project-graph.ts';
import { loadProject, type LoadProjectOptions, type Project } from './project.ts';
import { selectNodes } from './selector.ts';
import { Templating, type RenderScope } from './templating.ts';
import { compileTest, thresholdMet } from './test-specs.ts';

/** The commands over a project. */
export type ModelsCommand = 'run' | 'test' | 'build' | 'seed' | 'compile' | 'ls';

/** Options of a run. */
export interface ModelsOptions extends LoadProjectOptions {
  readonly projectDir: string;
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  /** Rebuild incremental models from scratch. */
  readonly fullRefresh?: boolean;
  /** Called with a line per finished node (progress). */
  readonly log?: (line: string) => void;
}

/** The status of one node of a run. */
export type NodeStatus = 'success' | 'error' | 'skipped' | 'pass' | 'warn' | 'fail';

/** What happened to one node. */
export interface NodeResult {
  readonly id: string;
  readonly type: GraphNode['type'];
  readonly name: string;
  readonly status: NodeStatus;
  readonly durationMs: number;
  readonly materialized?: string;
  /** Rows in the relation after the run; for incremental models also the new rows. */
  readonly rows?: number;
  readonly newRows?: number;
  /** Failing rows of a test. */
  readonly failures?: number;
  readonly message?: string;
  /** The compiled SQL (compile, and models and tests that ran). */
  readonly sql?: string;
}

/** A run's result. */
export interface ModelsResult {
  readonly command: ModelsCommand;
  readonly project: string;
  readonly target: { readonly name: string; readonly database: string };
  readonly results: readonly NodeResult[];
  readonly counts: Readonly<Record<NodeStatus, number>>;
  /** No node errored and no test failed. */
  readonly ok: boolean;
  readonly elapsedMs: number;
}

const TYPES: Record<ModelsCommand, GraphNode['type'][]> = {
  run: ['model'], test: ['test'], build: ['seed', 'model', 'test'], seed: ['seed'], compile: ['model', 'test'], ls: ['model', 'seed', 'test', 'source'],
};

/** Loads a project and its graph (validation only: no database is opened). */
export async function loadGraph(options: ModelsOptions): Promise<{ project: Project; templating: Templating; graph: ProjectGraph }> {
  const project = loadProject(options.projectDir, options);
  const templating = await Templating.create(project.macros, project.vars, { name: project.target.name, schema: 'main', database: project.target.database });
  const graph = buildGraph(project, templating);
  return { project, templating, graph };
}

/** Runs a command over a project. */
export async function runModels(command: ModelsCommand, options: ModelsOptions): Promise<ModelsResult> {
  const started = performance.now();
  const { project, templating, graph } = await loadGraph(options);
  const ids = selectNodes(graph, { select: options.select, exclude: options.exclude, types: new Set(TYPES[command]) });
  const results: NodeResult[] = [];
  if (command === 'ls') {
    for (const id of ids) results.push({ id, type: (graph.nodes.get(id) as GraphNode).type, name: (graph.nodes.get(id) as GraphNode).name, status: 'success', durationMs: 0, ...materializedOf(graph.nodes.get(id) as GraphNode) });
    return finish(command, project, results, started);
  }
  mkdirSync(dirname(project.target.database), { recursive: true });
  const session = await SqlSession.open({ database: project.target.database, cwd: project.dir, ...(project.target.threads ? { threads: project.target.threads } : {}) });
  try {
    const runner = new NodeRunner(graph, templating, session, options);
    const bad = new Set<string>();
    const testFailed = new Set<string>();
    const deps = selectedDependencies(graph, ids);
    for (const id of runOrder(graph, ids, deps)) {
      const node = graph.nodes.get(id) as GraphNode;
      // A failed or skipped parent skips the node; a parent whose test failed (build) skips models and seeds, not its other tests.
      const blockedBy = (deps.get(id) as string[]).find((d) => bad.has(d) || (node.type !== 'test' && testFailed.has(d)));
      let result: NodeResult;
      if (blockedBy !== undefined && command !== 'compile') {
        result = { id, type: node.type, name: node.name, status: 'skipped', durationMs: 0, message: `skipped: ${graph.nodes.get(blockedBy)?.type} ${graph.nodes.get(blockedBy)?.name} ${bad.has(blockedBy) ? 'failed or was skipped' : 'failed a test'}`, ...materializedOf(node) };
      } else {
        result = await runner.run(node, command);
      }
      results.push(result);
      if (result.status === 'error' || result.status === 'skipped') bad.add(id);
      if (result.status === 'fail' && command === 'build' && node.type === 'test') for (const d of deps.get(id) as string[]) testFailed.add(d);
      options.log?.(progressLine(result, results.length, ids.length));
    }
  } finally {
    session.close();
  }
  return finish(command, project, results, started);
}

function materializedOf(node: GraphNode): { materialized?: string } {
  return node.type === 'model' ? { materialized: node.config.materialized } : node.type === 'seed' ? { materialized: 'seed' } : {};
}

function progressLine(r: NodeResult, i: number, n: number): string {
  const what = r.type === 'model' ? `${r.materialized} model ${r.name}` : `${r.type} ${r.name}`;
  const detail = r.failures !== undefined && r.failures > 0 ? ` (${r.failures} failing rows)` : r.rows !== undefined ? ` (${r.rows} rows${r.newRows !== undefined ? `, ${r.newRows} new` : ''})` : '';
  return `${String(i).padStart(String(n).length)} of ${n} ${r.status.toUpperCase().padEnd(7)} ${what}${detail} in ${(r.durationMs / 1000).toFixed(2)}s${r.message && r.status !== 'success' && r.status !== 'pass' ? `\n    ${r.message.replace(/\n/g, '\n    ')}` : ''}`;
}

function finish(command: ModelsCommand, project: Project, results: NodeResult[], started: number): ModelsResult {
  const counts: Record<NodeStatus, number> = { success: 0, error: 0, skipped: 0, pass: 0, warn: 0, fail: 0 };
  for (const r of results) counts[r.status]++;
  return { command, project: project.name, target: { name: project.target.name, database: project.target.database }, results, counts, ok: counts.error === 0 && counts.fail === 0, elapsedMs: Math.round(performance.now() - started) };
}

/**
 * The selected nodes' dependencies among the selected: a dependency that is not selected (a source) is looked
 * through to the selected nodes it depends on (the seed a source reads).
 */
export function selectedDependencies(graph: ProjectGraph, ids: readonly string[]): Map<string, string[]> {
  const selected = new Set(ids);
  const memo = new Map<string, string[]>();
  const through = (id: string): string[] => {
    let out = memo.get(id);
    if (out) return out;
    out = [];
    for (const d of (graph.nodes.get(id) as GraphNode).dependsOn) out.push(...(selected.has(d) ? [d] : through(d)));
    out = [...new Set(out)];
    memo.set(id, out);
    return out;
  };
  return new Map(ids.map((id) => [id, through(id)]));
}

/** The selected nodes in dependency order; among the ready ones, tests first (so a model's tests run before its children). */
export function runOrder(graph: ProjectGraph, ids: readonly string[], deps = selectedDependencies(graph, ids)): string[] {
  const children = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const [id, ds] of deps) for (const d of ds) children.get(d)?.push(id);
  const pending = new Map(ids.map((id) => [id, (deps.get(id) as string[]).length]));
  const rank = (id: string) => `${graph.nodes.get(id)?.type === 'test' ? 0 : 1}${id}`;
  const ready = ids.filter((id) => pending.get(id) === 0);
  const out: string[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => (rank(a) < rank(b) ? -1 : 1));
    const id = ready.shift() as string;
    out.push(id);
    for (const c of children.get(id) ?? []) {
      const left = (pending.get(c) as number) - 1;
      pending.set(c, left);
      if (left === 0) ready.push(c);
    }
  }
  return out;
}

/** Compiles and runs single nodes against one session. */
class NodeRunner {
  constructor(
    private readonly graph: ProjectGraph,
    private readonly templating: Templating,
    private readonly session: SqlSession,
    private readonly options: ModelsOptions,
  ) {}

  async run(node: GraphNode, command: ModelsCommand): Promise<NodeResult> {
    const t0 = performance.now();
    const base = { id: node.id, type: node.type, name: node.name, ...materializedOf(node) };
    let sql: string | undefined;
    try {
      if (node.type === 'seed') {
        const rows = await this.seed(node);
        return { ...base, status: 'success', durationMs: performance.now() - t0, rows };
      }
      if (node.type === 'model') {
        sql = await this.compileModel(node);
        if (command === 'compile' || node.config.materialized === 'ephemeral') return { ...base, status: 'success', durationMs: performance.now() - t0, sql };
        const r = await materialize(this.session, node, identifierOf(node), sql, { fullRefresh: this.options.fullRefresh === true, projectDir: this.graph.project.dir });
        return { ...base, status: 'success', durationMs: performance.now() - t0, sql, ...(r.rows !== undefined ? { rows: r.rows } : {}), ...(r.newRows !== undefined ? { newRows: r.newRows } : {}) };
      }
      if (node.type === 'test') {
        sql = await this.compileTest(node);
        if (command === 'compile') return { ...base, status: 'success', durationMs: performance.now() - t0, sql };
        return { ...base, ...(await this.test(node, sql)), durationMs: performance.now() - t0, sql };
      }
      return { ...base, status: 'success', durationMs: 0 };
    } catch (e) {
      const message = e instanceof ModelsError ? e.message : `${node.file}: ${e instanceof Error ? e.message : String(e)}`;
      if (!(e instanceof Error) || (!(e instanceof ModelsError) && (e as { code?: unknown }).code === undefined)) throw e;
      return { ...base, status: 'error', durationMs: performance.now() - t0, message, ...(sql !== undefined ? { sql } : {}) };
    }
  }

  private async seed(node: SeedNode): Promise<number> {
    const c = node.config;
    const opts = [`header = true`, `auto_detect = true`];
    if (c.delimiter) opts.push(`delim = '${c.delimiter.replace(/'/g, "''")}'`);
    if (c.column_types) opts.push(`types = {${Object.entries(c.column_types).map(([k, v]) => `'${k.replace(/'/g, "''")}': '${v.replace(/'/g, "''")}'`).join(', ')}}`);
    const ident = (c.alias ?? node.name).replace(/"/g, '""');
    if ((await relationKind(this.session, c.alias ?? node.name)) === 'VIEW') await this.session.query(`drop view main."${ident}"`);
    await this.session.query(`create or replace table main."${ident}" as select * from read_csv('${node.absolute.replace(/'/g, "''")}', ${opts.join(', ')})`);
    const r = await this.session.query(`select count(*) from main."${ident}"`);
    return Number(r.rows[0][0]);
  }

  /** A model's SQL: rendered with its `this`, is_incremental() and refs (ephemeral models inlined as CTEs). */
  async compileModel(node: ModelNode): Promise<string> {
    const ctes = new Map<string, string>();
    const isIncremental = node.config.materialized === 'incremental' && !(this.options.fullRefresh === true && node.config.full_refresh !== false) && (await relationKind(this.session, identifierOf(node))) === 'BASE TABLE';
    const body = this.render(node, ctes, isIncremental);
    return withCtes(body, ctes);
  }

  private render(node: ModelNode, ctes: Map<string, string>, isIncremental: boolean): string {
    return this.templating.render(node.file, node.text, this.scope(node.relation, ctes, isIncremental));
  }

  private scope(self: string, ctes: Map<string, string>, isIncremental: boolean): RenderScope {
    return {
      ref: (name) => this.refRelation(name, ctes),
      source: (s, t) => (this.graph.nodes.get(`source.${s}.${t}`) as { relation: string } | undefined)?.relation ?? `"${s}"."${t}"`,
      config: () => undefined,
      isIncremental: () => isIncremental,
      this: self,
    };
  }

  /** The SQL text a ref() becomes: the relation, `__dbt__cte__<name>` for ephemeral models, delta('<location>') for delta ones. */
  private refRelation(name: string, ctes: Map<string, string>): string {
    const n = this.graph.nodes.get(`model.${name}`) ?? this.graph.nodes.get(`seed.${name}`);
    if (!n) return relationOf(name);
    if (n.type === 'model' && n.config.materialized === 'ephemeral') {
      const cte = `__dbt__cte__${name}`;
      if (!ctes.has(cte)) {
        // Its own ephemeral refs go first (the map keeps insertion order).
        const inner = this.render(n, ctes, false);
        ctes.set(cte, inner);
      }
      return cte;
    }
    if (n.type === 'model' && n.config.materialized === 'delta') return `delta('${deltaLocation(n, this.graph.project.dir).replace(/'/g, "''")}')`;
    return (n as ModelNode | SeedNode).relation;
  }

  private async compileTest(node: TestNode): Promise<string> {
    const ctes = new Map<string, string>();
    let model: string | undefined;
    if (node.attachedTo !== undefined) {
      const target = this.graph.nodes.get(node.attachedTo) as GraphNode;
      model = target.type === 'model' ? this.refRelation(target.name, ctes) : target.type === 'seed' ? target.relation : target.type === 'source' ? target.relation : undefined;
      if (node.config.where !== undefined) model = `(select * from ${model} where ${node.config.where}) dbt_subquery`;
    }
    const sql = compileTest(node, model, this.templating, this.scope('', ctes, false));
    return withCtes(sql, ctes);
  }

  private async test(node: TestNode, sql: string): Promise<Pick<NodeResult, 'status' | 'failures' | 'message'>> {
    const c = node.config;
    const limit = c.limit !== undefined ? ` limit ${c.limit}` : '';
    const failing = `select * from (\n${sql}\n) as __failing${limit}`;
    if (c.store_failures === true) {
      await this.session.query(`create schema if not exists main_dbt_test__audit; create or replace table main_dbt_test__audit."${node.name.replace(/"/g, '""')}" as ${failing}`);
    }
    const r = await this.session.query(`select count(*) from (${failing}) as __n`);
    const failures = Number(r.rows[0][0]);
    const severity = (c.severity ?? 'error').toLowerCase();
    const errorIf = c.error_if ?? '!= 0';
    const warnIf = c.warn_if ?? '!= 0';
    const where = `${node.file} (test ${node.name})`;
    if (severity === 'error' && thresholdMet(failures, errorIf, where)) return { status: 'fail', failures, message: `${failures} failing rows${c.store_failures ? ` (stored in main_dbt_test__audit.${node.name})` : ''}` };
    if (thresholdMet(failures, warnIf, where)) return { status: 'warn', failures, message: `${failures} failing rows` };
    return { status: 'pass', failures };
  }
}

function identifierOf(node: ModelNode): string {
  return (node.config.alias as string | undefined) ?? node.name;
}

/** Prepends ephemeral models as CTEs: `with __dbt__cte__x as (...) select * from (<sql>)`. */
function withCtes(sql: string, ctes: ReadonlyMap<string, string>): string {
  const body = sql.replace(/;\s*$/, '');
  if (ctes.size === 0) return body;
  return `with ${[...ctes].map(([name, text]) => `${name} as (\n${text.replace(/;\s*$/, '')}\n)`).join(',\n')}\nselect * from (\n${body}\n) as __riffle_model`;
}
