/**
 * The graph of a project: seeds, sources, models and tests as nodes, edges from `ref()`/`source()` calls found by
 * rendering each model once with recording functions (as dbt parses), configs resolved (project file folders <
 * property files < `{{ config() }}` in the model), every ref checked (a missing one is an error naming file, line and
 * the closest name), cycles refused with their path, and an order to run in.
 */
import { closest } from '../../model/index.ts';
import { lineOf, ModelsError } from './models-error.ts';
import type { Located, Project, ProjectSource } from './project.ts';
import { modelConfigSchema, testConfigSchema, type ColumnProps, type FreshnessProps, type ModelConfigInput, type ModelProps, type SeedConfigInput, type TestConfigInput } from './project-schema.ts';
import type { Templating } from './templating.ts';
import { genericTests, type TestSpec } from './test-specs.ts';

/** What a node is. */
export type ResourceType = 'model' | 'seed' | 'source' | 'test';

interface NodeBase {
  readonly id: string;
  readonly type: ResourceType;
  readonly name: string;
  /** Project-relative file ('' for sources: their property file). */
  readonly file: string;
  /** Ids of the nodes this one reads. */
  readonly dependsOn: readonly string[];
  readonly tags: readonly string[];
  readonly description: string;
}

/** A model: a SELECT in a template, materialized as its config says. */
export interface ModelNode extends NodeBase {
  readonly type: 'model';
  readonly text: string;
  readonly config: ModelConfig;
  readonly relation: string;
  readonly columns: readonly ColumnProps[];
}

/** A model's resolved configuration. */
export interface ModelConfig extends Omit<ModelConfigInput, 'tags' | 'unique_key' | 'partition_by'> {
  readonly materialized: NonNullable<ModelConfigInput['materialized']>;
  readonly unique_key?: readonly string[];
  readonly partition_by?: readonly string[];
}

/** A seed: a CSV file loaded as a table. */
export interface SeedNode extends NodeBase {
  readonly type: 'seed';
  readonly absolute: string;
  readonly config: SeedConfigInput;
  readonly relation: string;
  readonly columns: readonly ColumnProps[];
}

/** A source table: data loaded by something else, read with `source('s', 't')`. */
export interface SourceNode extends NodeBase {
  readonly type: 'source';
  readonly sourceName: string;
  readonly relation: string;
  readonly loadedAtField?: string;
  readonly freshness?: FreshnessProps;
  readonly columns: readonly ColumnProps[];
}

/** A test: a query of failing rows (generic, attached to a model/seed/source and column, or singular). */
export interface TestNode extends NodeBase {
  readonly type: 'test';
  readonly spec: TestSpec;
  readonly config: TestConfigInput;
  /** The node the test is attached to (generic tests). */
  readonly attachedTo?: string;
}

export type GraphNode = ModelNode | SeedNode | SourceNode | TestNode;

/** A project's graph. */
export interface ProjectGraph {
  readonly project: Project;
  readonly nodes: ReadonlyMap<string, GraphNode>;
  readonly children: ReadonlyMap<string, readonly string[]>;
  /** Every node, parents before children (ties by id). */
  readonly order: readonly string[];
}

/** The quoted relation of a name in the target schema. */
export function relationOf(name: string): string {
  return `"main"."${name.replace(/"/g, '""')}"`;
}

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Builds the graph: parses every model, resolves configs and refs, adds tests, checks for cycles. */
export function buildGraph(project: Project, templating: Templating): ProjectGraph {
  const nodes = new Map<string, GraphNode>();
  const byName = new Map<string, string>();
  const add = (n: GraphNode, key: string) => {
    const other = nodes.get(n.id);
    if (other) throw new ModelsError('MODELS_DUPLICATE', `${n.file}: the ${n.type} '${n.name}' is also defined by ${other.file}`, { hint: 'model and seed names must be unique in a project: rename one' });
    const sameName = byName.get(key);
    if (sameName && key.startsWith('ref:')) {
      const o = nodes.get(sameName) as GraphNode;
      throw new ModelsError('MODELS_DUPLICATE', `${n.file}: '${n.name}' is both a ${o.type} (${o.file}) and a ${n.type}`, { hint: 'model and seed names must be unique in a project: rename one' });
    }
    nodes.set(n.id, n);
    byName.set(key, n.id);
  };
  // Seeds.
  for (const s of project.seeds) {
    const name = baseName(s.file, '.csv');
    const props = project.seedProps.get(name);
    const config = { ...inherited(project.folderConfigs.seeds, configPath(folderOf(s.file, project.file['seed-paths'] ?? ['seeds']), name)), ...((props?.value.config ?? {}) as SeedConfigInput) } as SeedConfigInput;
    if (config.enabled === false) continue;
    add({ id: `seed.${name}`, type: 'seed', name, file: s.file, absolute: s.absolute, dependsOn: [], tags: asList(config.tags), description: props?.value.description ?? '', config, relation: relationOf(config.alias ?? name), columns: props?.value.columns ?? [] }, `ref:${name}`);
  }
  // Sources.
  for (const { value: src, file } of project.sources) {
    for (const t of src.tables) {
      add({
        id: `source.${src.name}.${t.name}`, type: 'source', name: `${src.name}.${t.name}`, sourceName: src.name, file, dependsOn: [],
        tags: [...asList(src.tags), ...asList(t.tags)], description: t.description ?? '',
        relation: `"${(src.schema ?? src.name).replace(/"/g, '""')}"."${(t.identifier ?? t.name).replace(/"/g, '""')}"`,
        ...(t.loaded_at_field ?? src.loaded_at_field ? { loadedAtField: t.loaded_at_field ?? src.loaded_at_field } : {}),
        ...(t.freshness !== undefined || src.freshness !== undefined ? { freshness: t.freshness !== undefined ? t.freshness : src.freshness } : {}),
        columns: t.columns ?? [],
      }, `source:${src.name}.${t.name}`);
    }
  }
  // A source that names a seed's table (raw data loaded as seeds) reads it: build loads the seed first.
  const seedByRelation = new Map([...nodes.values()].filter((n) => n.type === 'seed').map((n) => [(n as SeedNode).relation, n.id]));
  for (const n of [...nodes.values()]) {
    const seed = n.type === 'source' ? seedByRelation.get(n.relation) : undefined;
    if (seed !== undefined) nodes.set(n.id, { ...n, dependsOn: [seed] });
  }
  // Models: parse each (render with recording functions) for its refs, sources and config.
  const modelRefs = new Map<string, { refs: { name: string; line: number }[]; sources: { name: string; line: number }[] }>();
  for (const m of project.models) {
    const name = baseName(m.file, '.sql');
    const props = project.modelProps.get(name);
    const refs: { name: string; line: number }[] = [];
    const sources: { name: string; line: number }[] = [];
    let inFile: Record<string, unknown> = {};
    templating.render(m.file, m.text, {
      ref: (r) => {
        refs.push({ name: r, line: lineOf(m.text, new RegExp(`ref\\(\\s*['"]${escapeRe(r)}['"]`)) });
        return relationOf(r);
      },
      source: (s, t) => {
        sources.push({ name: `${s}.${t}`, line: lineOf(m.text, new RegExp(`source\\(\\s*['"]${escapeRe(s)}['"]`)) });
        return `"${s}"."${t}"`;
      },
      config: (values) => {
        const parsed = modelConfigSchema.safeParse(values);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const key = issue.code === 'unrecognized_keys' ? issue.keys[0] : String(issue.path[0] ?? '');
          const allowed = Object.keys(modelConfigSchema.shape);
          const hint = issue.code === 'unrecognized_keys' ? `unknown config key '${key}'${closest(key, allowed).map((c) => ` (did you mean '${c}'?)`).join('')}; allowed: ${allowed.join(', ')}` : `config key '${key}': ${issue.message}`;
          throw new ModelsError('MODELS_CONFIG', `${m.file}:${lineOf(m.text, /config\s*\(/)}: ${hint}`, { file: m.file, line: lineOf(m.text, /config\s*\(/) });
        }
        inFile = { ...inFile, ...parsed.data };
      },
      isIncremental: () => false,
      this: relationOf(name),
    });
    const config = resolveModelConfig(project, m, props, inFile);
    if (config.enabled === false) continue;
    modelRefs.set(`model.${name}`, { refs, sources });
    const { tags, ...rest } = config;
    add({
      id: `model.${name}`, type: 'model', name, file: m.file, text: m.text, dependsOn: [], tags: asList(tags as string | string[] | undefined), description: props?.value.description ?? '',
      config: rest as ModelConfig, relation: relationOf((config.alias as string | undefined) ?? name), columns: props?.value.columns ?? [],
    }, `ref:${name}`);
  }
  // Resolve refs and sources: a missing one names file, line and the closest name.
  const refNames = [...byName.keys()].filter((k) => k.startsWith('ref:')).map((k) => k.slice(4));
  const sourceNames = [...byName.keys()].filter((k) => k.startsWith('source:')).map((k) => k.slice(7));
  for (const [id, { refs, sources }] of modelRefs) {
    const node = nodes.get(id) as ModelNode;
    const deps = new Set<string>();
    for (const r of refs) deps.add(resolveRef(byName, refNames, r.name, `${node.file}:${r.line}`));
    for (const s of sources) deps.add(resolveSource(byName, sourceNames, s.name, `${node.file}:${s.line}`));
    nodes.set(id, { ...node, dependsOn: [...deps] });
  }
  for (const props of project.modelProps.values()) {
    if (!byName.has(`ref:${props.value.name}`) && !project.models.some((m) => baseName(m.file, '.sql') === props.value.name)) {
      throw new ModelsError('MODELS_MISSING_REF', `${props.file}: properties of model '${props.value.name}', which no file models/**/${props.value.name}.sql defines${suggest(props.value.name, refNames)}`);
    }
  }
  // Tests.
  const tests = genericTests(project, nodes, templating);
  for (const t of tests) addTest(nodes, t, byName, refNames, sourceNames, project, templating);
  for (const s of project.singularTests) addSingular(nodes, s, byName, refNames, sourceNames, project, templating);
  return finishGraph(project, nodes);
}

function resolveModelConfig(project: Project, m: ProjectSource, props: Located<ModelProps> | undefined, inFile: Record<string, unknown>): Record<string, unknown> & { materialized: string } {
  const folder = configPath(folderOf(m.file, project.file['model-paths'] ?? ['models']), baseName(m.file, '.sql'));
  const merged: Record<string, unknown> = { materialized: 'view', ...inherited(project.folderConfigs.models, folder), ...(props?.value.config ?? {}), ...inFile };
  // Tags add up (dbt): every level's tags.
  const tags = new Set<string>();
  for (const level of levels(project.folderConfigs.models, folder)) asList(level.tags as string | string[] | undefined).forEach((t) => tags.add(t));
  asList(props?.value.config?.tags as string | string[] | undefined).forEach((t) => tags.add(t));
  asList(inFile.tags as string | string[] | undefined).forEach((t) => tags.add(t));
  merged.tags = [...tags];
  if (merged.unique_key !== undefined) merged.unique_key = asList(merged.unique_key as string | string[]);
  if (merged.partition_by !== undefined) merged.partition_by = asList(merged.partition_by as string | string[]);
  if (merged.materialized === 'delta' && typeof merged.location !== 'string') {
    throw new ModelsError('MODELS_CONFIG', `${m.file}: a model materialized as 'delta' needs a location (config(materialized='delta', location='lake/${baseName(m.file, '.sql')}'))`);
  }
  if (merged.incremental_strategy === 'insert_overwrite' && merged.materialized === 'incremental' && merged.partition_by === undefined) {
    throw new ModelsError('MODELS_CONFIG', `${m.file}: incremental_strategy 'insert_overwrite' replaces the partitions the new rows hold: give partition_by (config(partition_by='event_date'))`);
  }
  if (merged.incremental_strategy === 'delete+insert' && merged.unique_key === undefined && merged.materialized === 'incremental') {
    throw new ModelsError('MODELS_CONFIG', `${m.file}: incremental_strategy 'delete+insert' needs a unique_key`);
  }
  return merged as Record<string, unknown> & { materialized: string };
}

function addTest(nodes: Map<string, GraphNode>, t: TestNode, byName: Map<string, string>, refNames: string[], sourceNames: string[], project: Project, _templating: Templating): void {
  let id = t.id;
  for (let i = 2; nodes.has(id); i++) id = `${t.id}_${i}`;
  const deps = new Set(t.dependsOn);
  for (const r of t.spec.refs) deps.add(resolveRef(byName, refNames, r, t.file));
  for (const s of t.spec.sources) deps.add(resolveSource(byName, sourceNames, s, t.file));
  nodes.set(id, { ...t, id, name: id.slice(5), dependsOn: [...deps], config: { ...inherited(project.folderConfigs.tests, ''), ...t.config } });
}

function addSingular(nodes: Map<string, GraphNode>, s: ProjectSource, byName: Map<string, string>, refNames: string[], sourceNames: string[], project: Project, templating: Templating): void {
  const name = baseName(s.file, '.sql');
  const refs: { name: string; line: number }[] = [];
  const sources: { name: string; line: number }[] = [];
  let inFile: Record<string, unknown> = {};
  templating.render(s.file, s.text, {
    ref: (r) => (refs.push({ name: r, line: lineOf(s.text, `'${r}'`) }), relationOf(r)),
    source: (a, b) => (sources.push({ name: `${a}.${b}`, line: lineOf(s.text, `'${a}'`) }), `"${a}"."${b}"`),
    config: (v) => {
      const parsed = testConfigSchema.safeParse(v);
      if (!parsed.success) throw new ModelsError('MODELS_CONFIG', `${s.file}:${lineOf(s.text, /config\s*\(/)}: ${parsed.error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown config key '${i.keys.join("', '")}' (allowed: ${Object.keys(testConfigSchema.shape).join(', ')})` : i.message)).join('; ')}`, { file: s.file, line: lineOf(s.text, /config\s*\(/) });
      inFile = { ...inFile, ...parsed.data };
    },
    isIncremental: () => false,
    this: '',
  });
  const deps = new Set<string>();
  for (const r of refs) deps.add(resolveRef(byName, refNames, r.name, `${s.file}:${r.line}`));
  for (const x of sources) deps.add(resolveSource(byName, sourceNames, x.name, `${s.file}:${x.line}`));
  const config = { ...inherited(project.folderConfigs.tests, ''), ...inFile } as TestConfigInput;
  if (config.enabled === false) return;
  nodes.set(`test.${name}`, { id: `test.${name}`, type: 'test', name, file: s.file, dependsOn: [...deps], tags: asList(config.tags), description: '', config, spec: { kind: 'singular', testName: name, text: s.text, refs: [], sources: [] } });
}

function resolveRef(byName: Map<string, string>, names: string[], name: string, where: string): string {
  const id = byName.get(`ref:${name}`);
  if (id) return id;
  throw new ModelsError('MODELS_MISSING_REF', `${where}: ref('${name}') names no model or seed${suggest(name, names)}`, { hint: names.length > 0 ? `models and seeds: ${names.slice(0, 20).join(', ')}` : 'add models/<name>.sql or seeds/<name>.csv' });
}

function resolveSource(byName: Map<string, string>, names: string[], name: string, where: string): string {
  const id = byName.get(`source:${name}`);
  if (id) return id;
  const [s, t] = name.split('.');
  throw new ModelsError('MODELS_MISSING_REF', `${where}: source('${s}', '${t}') is not declared in a property file${suggest(name, names)}`, { hint: 'declare it under sources: (name, tables) in a models/*.yml file' });
}

function suggest(name: string, names: string[]): string {
  const c = closest(name, names, 1);
  return c.length > 0 ? ` (did you mean '${c[0]}'?)` : '';
}

/** Children lists and a topological order; a cycle is an error naming its path and files. */
export function finishGraph(project: Project, nodes: Map<string, GraphNode>): ProjectGraph {
  const children = new Map<string, string[]>();
  for (const id of nodes.keys()) children.set(id, []);
  for (const n of nodes.values()) for (const d of n.dependsOn) children.get(d)?.push(n.id);
  const indegree = new Map([...nodes.values()].map((n) => [n.id, n.dependsOn.length]));
  const ready = [...nodes.keys()].filter((id) => indegree.get(id) === 0).sort();
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift() as string;
    order.push(id);
    const next: string[] = [];
    for (const c of children.get(id) ?? []) {
      const d = (indegree.get(c) as number) - 1;
      indegree.set(c, d);
      if (d === 0) next.push(c);
    }
    ready.push(...next);
    ready.sort();
  }
  if (order.length < nodes.size) {
    const cycle = findCycle(nodes, new Set(order));
    const text = cycle.map((id) => `${nodes.get(id)?.name} (${nodes.get(id)?.file})`).join(' -> ');
    throw new ModelsError('MODELS_CYCLE', `the models form a cycle: ${text}`, { hint: 'a model cannot read itself through ref(): break the cycle by moving the shared logic into a model both read' });
  }
  return { project, nodes, children, order };
}

function findCycle(nodes: Map<string, GraphNode>, done: Set<string>): string[] {
  const state = new Map<string, number>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    state.set(id, 1);
    stack.push(id);
    for (const d of nodes.get(id)?.dependsOn ?? []) {
      if (done.has(d)) continue;
      if (state.get(d) === 1) return [...stack.slice(stack.indexOf(d)), d].reverse();
      if (!state.has(d)) {
        const c = visit(d);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(id, 2);
    return undefined;
  };
  for (const id of [...nodes.keys()].sort()) {
    if (done.has(id) || state.has(id)) continue;
    const c = visit(id);
    if (c) return c;
  }
  return [];
}

/** `models/staging/stg_orders.sql` → `stg_orders`. */
export function baseName(file: string, ext: string): string {
  const last = file.split('/').pop() as string;
  return last.endsWith(ext) ? last.slice(0, -ext.length) : last;
}

/** The folder of a file relative to its resource root (`models/staging/x.sql` → `staging`). */
export function folderOf(file: string, roots: readonly string[]): string {
  const parts = file.split('/');
  parts.pop();
  for (const r of roots) {
    const rp = r.replace(/\/+$/, '').split('/');
    if (rp.every((p, i) => parts[i] === p)) return parts.slice(rp.length).join('/');
  }
  return parts.join('/');
}

/** The project-file tree path of a resource: its folders, then its name (dbt configures single resources so). */
function configPath(folder: string, name: string): string {
  return folder === '' ? name : `${folder}/${name}`;
}

/** The configs of a folder and its ancestors, root first. */
function levels(configs: ReadonlyMap<string, Readonly<Record<string, unknown>>>, folder: string): Readonly<Record<string, unknown>>[] {
  const parts = folder === '' ? [] : folder.split('/');
  const out: Readonly<Record<string, unknown>>[] = [];
  for (let i = 0; i <= parts.length; i++) {
    const c = configs.get(parts.slice(0, i).join('/'));
    if (c) out.push(c);
  }
  return out;
}

/** A folder's inherited config (deeper folders override). */
export function inherited(configs: ReadonlyMap<string, Readonly<Record<string, unknown>>>, folder: string): Record<string, unknown> {
  return Object.assign({}, ...levels(configs, folder));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

