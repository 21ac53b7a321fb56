/**
 * Data tests: what the property files declare (generic tests on a model, seed or source and its columns), checked
 * before anything runs, and each compiled to a query of failing rows. Built in: `not_null`, `unique`,
 * `accepted_values`, `relationships`, `expression_is_true` (also spelled `dbt_utils.expression_is_true`); a project
 * macro `{% test name(model, column_name, ...) %}` defines more (and overrides a built-in of the same name, as in
 * dbt). Singular tests are `tests/*.sql` files selecting failing rows.
 */
import { join } from 'node:path';
import { closest } from '../../model/index.ts';
import { readConfigFile, type ConfigPath } from '../../config/index.ts';
import { ModelsError } from './models-error.ts';
import type { GraphNode, TestNode } from './project-graph.ts';
import type { Project } from './project.ts';
import { testConfigSchema, type ColumnProps, type TestConfigInput } from './project-schema.ts';
import type { RenderScope, Templating } from './templating.ts';

/** What a test checks. */
export type TestSpec =
  | { readonly kind: 'generic'; readonly testName: string; readonly column?: string; readonly args: Readonly<Record<string, unknown>>; readonly refs: readonly string[]; readonly sources: readonly string[] }
  | { readonly kind: 'singular'; readonly testName: string; readonly text: string; readonly refs: readonly string[]; readonly sources: readonly string[] };

const BUILT_IN: Record<string, { required: string[]; optional: string[] }> = {
  not_null: { required: [], optional: [] },
  unique: { required: [], optional: [] },
  accepted_values: { required: ['values'], optional: ['quote'] },
  relationships: { required: ['to', 'field'], optional: [] },
  expression_is_true: { required: ['expression'], optional: [] },
};
const CONFIG_KEYS = new Set(Object.keys(testConfigSchema.shape));

/** The generic tests of the property files, as test nodes (dependencies on refs in arguments resolved later). */
export function genericTests(project: Project, nodes: ReadonlyMap<string, GraphNode>, templating: Templating): TestNode[] {
  const out: TestNode[] = [];
  const position = (file: string, path: ConfigPath) => {
    try {
      const p = readConfigFile(join(project.dir, file)).position(path);
      return p ? `${file}:${p.line}` : file;
    } catch {
      return file;
    }
  };
  const collect = (attachedTo: string, targetName: string, file: string, path: ConfigPath, tests: unknown[] | undefined, column?: string) => {
    tests?.forEach((entry, i) => out.push(parseEntry(entry, { attachedTo, targetName, file, where: () => position(file, [...path, i]), column, templating, project })));
  };
  const describe = (attachedTo: string, targetName: string, file: string, path: ConfigPath, props: { tests?: unknown[]; data_tests?: unknown[]; columns?: ColumnProps[] }) => {
    collect(attachedTo, targetName, file, [...path, props.data_tests ? 'data_tests' : 'tests'], props.data_tests ?? props.tests);
    props.columns?.forEach((c, ci) => collect(attachedTo, targetName, file, [...path, 'columns', ci, c.data_tests ? 'data_tests' : 'tests'], c.data_tests ?? c.tests, c.name));
  };
  for (const [name, p] of project.modelProps) if (nodes.has(`model.${name}`)) describe(`model.${name}`, name, p.file, p.path, p.value);
  for (const [name, p] of project.seedProps) if (nodes.has(`seed.${name}`)) describe(`seed.${name}`, name, p.file, p.path, p.value);
  for (const s of project.sources) {
    s.value.tables.forEach((t, ti) => describe(`source.${s.value.name}.${t.name}`, `${s.value.name}_${t.name}`, s.file, [...s.path, 'tables', ti], t));
  }
  return out.filter((t) => t.config.enabled !== false);
}

interface EntryContext {
  attachedTo: string;
  targetName: string;
  file: string;
  where: () => string;
  column?: string;
  templating: Templating;
  project: Project;
}

function parseEntry(entry: unknown, c: EntryContext): TestNode {
  let testName: string;
  let body: Record<string, unknown> = {};
  if (typeof entry === 'string') testName = entry;
  else {
    const keys = Object.keys(entry as object);
    if (keys.length !== 1) throw new ModelsError('MODELS_CONFIG', `${c.where()}: a test is a name (unique) or a mapping with one key, the test's name (accepted_values: {values: [...]}); got ${keys.join(', ')}`);
    testName = keys[0];
    body = ((entry as Record<string, unknown>)[testName] ?? {}) as Record<string, unknown>;
  }
  const short = testName.replace(/^dbt_utils\./, '').replace(/^dbt\./, '');
  const custom = c.templating.has(`test_${short}`);
  if (!custom && !BUILT_IN[short]) {
    const known = [...Object.keys(BUILT_IN), ...[...c.templating.macros.keys()].filter((m) => m.startsWith('test_')).map((m) => m.slice(5))];
    const near = closest(short, known, 1);
    throw new ModelsError('MODELS_CONFIG', `${c.where()}: unknown test '${testName}'${near.length ? ` (did you mean '${near[0]}'?)` : ''}`, { hint: `tests: ${known.join(', ')}; define more with {% test name(model, column_name) %} in macros/` });
  }
  const { config: nested, arguments: nestedArgs, name: alias, ...rest } = body as { config?: Record<string, unknown>; arguments?: Record<string, unknown>; name?: string };
  const config: Record<string, unknown> = { ...(nested ?? {}) };
  const args: Record<string, unknown> = { ...(nestedArgs ?? {}) };
  for (const [k, v] of Object.entries(rest)) (CONFIG_KEYS.has(k) ? config : args)[k] = v;
  const parsed = testConfigSchema.safeParse(config);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new ModelsError('MODELS_CONFIG', `${c.where()}: test '${testName}': ${i.code === 'unrecognized_keys' ? `unknown config key '${i.keys[0]}'` : `${String(i.path[0])}: ${i.message}`}`, { hint: `test config keys: ${[...CONFIG_KEYS].join(', ')}` });
  }
  if (!custom) {
    const spec = BUILT_IN[short];
    for (const k of spec.required) if (!(k in args)) throw new ModelsError('MODELS_CONFIG', `${c.where()}: test '${testName}' needs the argument '${k}'`);
    for (const k of Object.keys(args)) {
      if (!spec.required.includes(k) && !spec.optional.includes(k)) {
        const near = closest(k, [...spec.required, ...spec.optional, ...CONFIG_KEYS], 1);
        throw new ModelsError('MODELS_CONFIG', `${c.where()}: test '${testName}' has no argument '${k}'${near.length ? ` (did you mean '${near[0]}'?)` : ''}`);
      }
    }
    if (short === 'accepted_values' && !Array.isArray(args.values)) throw new ModelsError('MODELS_CONFIG', `${c.where()}: accepted_values: 'values' must be a list`);
    if ((short === 'not_null' || short === 'unique' || short === 'accepted_values' || short === 'relationships') && c.column === undefined && !('column_name' in args)) {
      throw new ModelsError('MODELS_CONFIG', `${c.where()}: test '${testName}' belongs under a column (columns: - name: id, tests: [${short}])`);
    }
  }
  // ref()/source() in arguments (relationships' `to: ref('customers')`).
  const refs: string[] = [];
  const sources: string[] = [];
  for (const v of Object.values(args)) {
    if (typeof v !== 'string') continue;
    for (const m of v.matchAll(/\bref\(\s*['"]([^'"]+)['"]\s*\)/g)) refs.push(m[1]);
    for (const m of v.matchAll(/\bsource\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)/g)) sources.push(`${m[1]}.${m[2]}`);
  }
  const suffix = Object.values(args).map((v) => (typeof v === 'string' ? v : Array.isArray(v) ? v.join('__') : String(v))).join('__').replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  let name = alias ?? [short, c.targetName, c.column, suffix].filter((x) => x).join('_');
  if (name.length > 80) name = `${name.slice(0, 60)}_${hash(name)}`;
  return {
    id: `test.${name}`, type: 'test', name, file: c.file, dependsOn: [c.attachedTo], tags: [], description: '',
    config: parsed.data as TestConfigInput, attachedTo: c.attachedTo,
    spec: { kind: 'generic', testName: short, ...(c.column !== undefined ? { column: c.column } : {}), args, refs, sources },
  };
}

function hash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16).padStart(8, '0');
}

const quoteIdent = (c: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(c) ? c : `"${c.replace(/"/g, '""')}"`);
const literal = (v: unknown, quote: boolean) => (quote ? `'${String(v).replace(/'/g, "''")}'` : String(v));

/**
 * The failing-rows query of a test. `model` is the attached node's relation (with the test's `where` applied by the
 * caller); `scope` renders ref()/source() in arguments and custom test macros.
 */
export function compileTest(test: TestNode, model: string | undefined, templating: Templating, scope: RenderScope): string {
  const spec = test.spec;
  if (spec.kind === 'singular') return templating.render(test.file, spec.text, scope);
  const args: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec.args)) {
    args[k] = typeof v === 'string' && /\b(ref|source)\(/.test(v) ? templating.render(test.file, v.includes('{{') ? v : `{{ ${v} }}`, scope) : v;
  }
  const column = (args.column_name as string | undefined) ?? spec.column;
  if (templating.has(`test_${spec.testName}`)) {
    return templating.callMacro(test.file, `test_${spec.testName}`, { model: model ?? '', ...(column !== undefined ? { column_name: column } : {}), ...args }, scope);
  }
  const col = column !== undefined ? quoteIdent(column) : '';
  switch (spec.testName) {
    case 'not_null':
      return `select * from ${model} where ${col} is null`;
    case 'unique':
      return `select ${col} as unique_field, count(*) as n_records from ${model} where ${col} is not null group by ${col} having count(*) > 1`;
    case 'accepted_values': {
      const quote = args.quote !== false;
      const values = (args.values as unknown[]).map((v) => literal(v, quote)).join(', ');
      return `with all_values as (select ${col} as value_field, count(*) as n_records from ${model} group by ${col}) select * from all_values where value_field not in (${values})`;
    }
    case 'relationships': {
      const field = quoteIdent(String(args.field));
      return `with child as (select ${col} as from_field from ${model} where ${col} is not null), parent as (select ${field} as to_field from ${String(args.to)}) select from_field from child left join parent on child.from_field = parent.to_field where parent.to_field is null`;
    }
    case 'expression_is_true':
      return `select * from ${model} where not (${column !== undefined ? `${col} ` : ''}${String(args.expression)})`;
  }
  throw new ModelsError('MODELS_CONFIG', `${test.file}: unknown test '${spec.testName}'`);
}

/** Whether a count of failures meets a threshold condition such as `!= 0`, `> 10`, `>= 5`. */
export function thresholdMet(failures: number, condition: string, where: string): boolean {
  const m = /^\s*(!=|<>|==|=|>=|<=|>|<)\s*(\d+)\s*$/.exec(condition);
  if (!m) throw new ModelsError('MODELS_CONFIG', `${where}: warn_if/error_if '${condition}' is not a comparison such as '!= 0' or '> 10'`);
  const n = Number(m[2]);
  switch (m[1]) {
    case '!=': case '<>': return failures !== n;
    case '==': case '=': return failures === n;
    case '>=': return failures >= n;
    case '<=': return failures <= n;
    case '>': return failures > n;
    default: return failures < n;
  }
}
