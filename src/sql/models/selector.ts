/**
 * Node selection, as dbt spells it: arguments of `--select` are a union; within one argument, commas intersect
 * (`tag:daily,path:models/marts`). An atom is `[@][N+]method:value[+N]` or a bare name: `+orders` (orders and its
 * ancestors), `orders+` (and descendants), `2+orders+1` (depths), `@orders` (descendants and their ancestors),
 * `tag:x`, `path:models/staging` (or a bare path with '/'), `source:raw` / `source:raw.orders`,
 * `config.materialized:incremental`, `resource_type:seed`, `test_type:generic|singular`, `fqn:`/`*` wildcards.
 * `--exclude` removes its selection. Tests whose parents are selected are added (dbt's eager indirect selection).
 */
import { closest } from '../../model/index.ts';
import { ModelsError } from './models-error.ts';
import type { GraphNode, ProjectGraph } from './project-graph.ts';

const METHODS = ['tag', 'path', 'source', 'config.materialized', 'resource_type', 'test_type', 'fqn', 'test_name', 'file'] as const;

/** Options of a selection. */
export interface SelectOptions {
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  /** Resource types the command runs (`run`: models; `test`: tests; `build`: all). */
  readonly types: ReadonlySet<GraphNode['type']>;
  /** Add the tests of selected nodes (default true). */
  readonly indirectTests?: boolean;
}

/** The ids a selection picks, in the graph's order. */
export function selectNodes(graph: ProjectGraph, options: SelectOptions): string[] {
  const all = new Set(graph.nodes.keys());
  const select = options.select && options.select.length > 0 ? union(graph, options.select) : all;
  const exclude = options.exclude && options.exclude.length > 0 ? union(graph, options.exclude) : new Set<string>();
  const chosen = new Set([...select].filter((id) => !exclude.has(id)));
  if (options.indirectTests !== false && options.select && options.select.length > 0) {
    for (const n of graph.nodes.values()) {
      if (n.type === 'test' && !exclude.has(n.id) && n.dependsOn.some((d) => chosen.has(d) && graph.nodes.get(d)?.type !== 'test')) chosen.add(n.id);
    }
  }
  return graph.order.filter((id) => chosen.has(id) && options.types.has((graph.nodes.get(id) as GraphNode).type));
}

function union(graph: ProjectGraph, args: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const arg of args.flatMap((a) => a.split(/\s+/)).filter((a) => a !== '')) {
    let acc: Set<string> | undefined;
    for (const part of arg.split(',')) {
      const s = atom(graph, part);
      acc = acc === undefined ? s : new Set([...acc].filter((id) => s.has(id)));
    }
    for (const id of acc ?? []) out.add(id);
  }
  return out;
}

function atom(graph: ProjectGraph, text: string): Set<string> {
  const m = /^(@)?(?:(\d*)\+)?(.+?)(?:\+(\d*))?$/.exec(text);
  if (!m || m[3] === '') throw new ModelsError('MODELS_SELECTOR', `selector '${text}' is not understood`, { hint: 'examples: orders, +orders, orders+, tag:nightly, path:models/staging, source:raw, config.materialized:incremental' });
  const [, at, upDepth, body, downDepth] = m;
  const up = upDepth !== undefined ? depth(upDepth) : undefined;
  const down = m[4] !== undefined ? depth(downDepth) : undefined;
  const base = matchBody(graph, body, text);
  const out = new Set(base);
  if (at) {
    for (const id of walk(graph, base, 'down', Infinity)) out.add(id);
    for (const id of walk(graph, [...out], 'up', Infinity)) out.add(id);
    return out;
  }
  if (up !== undefined) for (const id of walk(graph, base, 'up', up)) out.add(id);
  if (down !== undefined) for (const id of walk(graph, base, 'down', down)) out.add(id);
  return out;
}

const depth = (d: string | undefined) => (d === undefined || d === '' ? Infinity : Number(d));

function walk(graph: ProjectGraph, start: Iterable<string>, direction: 'up' | 'down', max: number): Set<string> {
  const seen = new Set<string>();
  let frontier = [...start];
  for (let level = 0; level < max && frontier.length > 0; level++) {
    const next: string[] = [];
    for (const id of frontier) {
      const ids = direction === 'up' ? graph.nodes.get(id)?.dependsOn ?? [] : graph.children.get(id) ?? [];
      for (const n of ids) {
        if (seen.has(n)) continue;
        seen.add(n);
        next.push(n);
      }
    }
    frontier = next;
  }
  return seen;
}

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

function matchBody(graph: ProjectGraph, body: string, text: string): string[] {
  const colon = body.indexOf(':');
  let method = colon > 0 ? body.slice(0, colon) : '';
  const value = colon > 0 ? body.slice(colon + 1) : body;
  if (method === '' && (value.includes('/') || value.endsWith('.sql') || value.endsWith('.csv'))) method = 'path';
  const nodes = [...graph.nodes.values()];
  let hits: GraphNode[];
  switch (method) {
    case '': case 'fqn': case 'test_name': {
      const re = glob(value);
      hits = nodes.filter((n) => (n.type !== 'source' && re.test(n.name)) || (method === 'fqn' && re.test(`${graph.project.name}.${n.name}`)));
      if (hits.length === 0 && !value.includes('*')) {
        const near = closest(value, nodes.filter((n) => n.type !== 'test').map((n) => n.name), 1);
        throw new ModelsError('MODELS_SELECTOR', `selector '${text}' matches nothing: no model, seed or test is named '${value}'${near.length ? ` (did you mean '${near[0]}'?)` : ''}`);
      }
      break;
    }
    case 'tag': { const re = glob(value); hits = nodes.filter((n) => n.tags.some((t) => re.test(t))); break; }
    case 'path': case 'file': {
      const v = value.replace(/\/+$/, '');
      const re = glob(v);
      hits = nodes.filter((n) => n.file !== '' && (n.file === v || n.file.startsWith(`${v}/`) || re.test(n.file) || (method === 'file' && n.file.split('/').pop() === v)));
      break;
    }
    case 'source': {
      const re = glob(value.includes('.') ? value : `${value}.*`);
      hits = nodes.filter((n) => n.type === 'source' && re.test(n.name));
      break;
    }
    case 'config.materialized': hits = nodes.filter((n) => n.type === 'model' && n.config.materialized === value); break;
    case 'resource_type': {
      const t = value === 'snapshot' ? '' : value;
      if (!['model', 'seed', 'source', 'test'].includes(t)) throw new ModelsError('MODELS_SELECTOR', `selector '${text}': resource types are model, seed, source, test`);
      hits = nodes.filter((n) => n.type === t);
      break;
    }
    case 'test_type': hits = nodes.filter((n) => n.type === 'test' && n.spec.kind === (value === 'data' ? 'singular' : value)); break;
    default: {
      const near = closest(method, METHODS, 1);
      throw new ModelsError('MODELS_SELECTOR', `selector '${text}': unknown method '${method}'${near.length ? ` (did you mean '${near[0]}'?)` : ''}`, { hint: `methods: ${METHODS.join(', ')}` });
    }
  }
  return hits.map((n) => n.id);
}
