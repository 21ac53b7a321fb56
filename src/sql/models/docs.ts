/**
 * `riffle models docs`: the project's manifest (`target/manifest.json`: nodes, sources, their configs, columns,
 * descriptions and tests, parent and child maps) and a static lineage page (`target/index.html`: one file, no
 * network; seeds, sources and models drawn by depth left to right with their edges; clicking a node highlights its
 * ancestors and descendants).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphNode, ProjectGraph } from './project-graph.ts';

/** The manifest of a graph (JSON-ready). */
export function manifestOf(graph: ProjectGraph, generatedAt = new Date()): Record<string, unknown> {
  const nodes: Record<string, unknown> = {};
  const sources: Record<string, unknown> = {};
  for (const n of graph.nodes.values()) {
    const common = { unique_id: n.id, resource_type: n.type, name: n.name, original_file_path: n.file, tags: n.tags, description: n.description, depends_on: { nodes: n.dependsOn } };
    if (n.type === 'source') sources[n.id] = { ...common, source_name: n.sourceName, relation_name: n.relation, loaded_at_field: n.loadedAtField ?? null, freshness: n.freshness ?? null, columns: columnsOf(n) };
    else if (n.type === 'model') nodes[n.id] = { ...common, config: n.config, relation_name: n.config.materialized === 'ephemeral' ? null : n.relation, columns: columnsOf(n), raw_code: n.text };
    else if (n.type === 'seed') nodes[n.id] = { ...common, config: n.config, relation_name: n.relation, columns: columnsOf(n) };
    else nodes[n.id] = { ...common, config: n.config, attached_node: n.attachedTo ?? null, test_metadata: n.spec.kind === 'generic' ? { name: n.spec.testName, kwargs: { column_name: n.spec.column ?? null, ...n.spec.args } } : null };
  }
  const parentMap = Object.fromEntries([...graph.nodes.values()].map((n) => [n.id, [...n.dependsOn]]));
  const childMap = Object.fromEntries([...graph.children].map(([id, c]) => [id, [...c]]));
  return { metadata: { project_name: graph.project.name, generated_at: generatedAt.toISOString(), generator: 'riffle models docs' }, nodes, sources, parent_map: parentMap, child_map: childMap };
}

function columnsOf(n: GraphNode): Record<string, unknown> {
  const cols = 'columns' in n ? n.columns : [];
  return Object.fromEntries(cols.map((c) => [c.name, { name: c.name, description: c.description ?? '', data_type: c.data_type ?? null }]));
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** The lineage page (HTML with an inline SVG). */
export function lineageHtml(graph: ProjectGraph): string {
  const shown = [...graph.nodes.values()].filter((n) => n.type !== 'test');
  const depth = new Map<string, number>();
  for (const id of graph.order) {
    const n = graph.nodes.get(id) as GraphNode;
    if (n.type === 'test') continue;
    depth.set(id, Math.max(0, ...n.dependsOn.filter((d) => depth.has(d)).map((d) => (depth.get(d) as number) + 1)));
  }
  const layers: GraphNode[][] = [];
  for (const n of shown) (layers[depth.get(n.id) ?? 0] ??= []).push(n);
  const W = 210, H = 34, GX = 90, GY = 22;
  const pos = new Map<string, { x: number; y: number }>();
  layers.forEach((layer, i) => layer.sort((a, b) => a.name.localeCompare(b.name)).forEach((n, j) => pos.set(n.id, { x: 20 + i * (W + GX), y: 20 + j * (H + GY) })));
  const width = 40 + layers.length * (W + GX);
  const height = 40 + Math.max(1, ...layers.map((l) => l.length)) * (H + GY);
  const colour: Record<string, string> = { seed: '#8fbc8f', source: '#9ecae1', model: '#fdd0a2', test: '#ddd' };
  const edges: string[] = [];
  for (const n of shown) {
    const to = pos.get(n.id) as { x: number; y: number };
    for (const d of n.dependsOn) {
      const from = pos.get(d);
      if (!from) continue;
      const x1 = from.x + W, y1 = from.y + H / 2, x2 = to.x, y2 = to.y + H / 2;
      edges.push(`<path class="edge" data-from="${esc(d)}" data-to="${esc(n.id)}" d="M${x1},${y1} C${x1 + GX / 2},${y1} ${x2 - GX / 2},${y2} ${x2},${y2}"/>`);
    }
  }
  const boxes = shown.map((n) => {
    const p = pos.get(n.id) as { x: number; y: number };
    const kind = n.type === 'model' ? n.config.materialized : n.type;
    return `<g class="node" data-id="${esc(n.id)}" transform="translate(${p.x},${p.y})"><title>${esc(n.id)}${n.description ? `\n${esc(n.description)}` : ''}</title><rect width="${W}" height="${H}" rx="6" fill="${colour[n.type]}"/><text x="8" y="15">${esc(n.name)}</text><text x="8" y="28" class="kind">${esc(kind)}</text></g>`;
  });
  const rows = [...graph.nodes.values()].filter((n) => n.type !== 'test').sort((a, b) => a.id.localeCompare(b.id)).map((n) => {
    const tests = [...graph.nodes.values()].filter((t) => t.type === 'test' && t.attachedTo === n.id).map((t) => esc(t.name));
    return `<tr><td>${esc(n.type)}</td><td>${esc(n.name)}</td><td>${esc(n.type === 'model' ? n.config.materialized : '')}</td><td>${esc(n.file)}</td><td>${esc(n.description)}</td><td>${tests.join('<br>')}</td></tr>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(graph.project.name)}: lineage</title>
<style>
body{font:14px system-ui,sans-serif;margin:20px;color:#222}
svg{border:1px solid #ccc;background:#fcfcfc}
.edge{fill:none;stroke:#999;stroke-width:1.4}
.edge.on{stroke:#d6604d;stroke-width:2.4}
.node{cursor:pointer}.node text{font-size:12px}.node .kind{fill:#555;font-size:10px}
.node.dim{opacity:.25}.edge.dim{opacity:.15}
table{border-collapse:collapse;margin-top:16px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
</style></head><body>
<h1>${esc(graph.project.name)}</h1>
<p>${graph.nodes.size} nodes. Click a node to show its lineage; click the background to clear.</p>
<svg id="g" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${edges.join('')}${boxes.join('')}</svg>
<table><tr><th>type</th><th>name</th><th>materialized</th><th>file</th><th>description</th><th>tests</th></tr>${rows.join('')}</table>
<script>
const edges=[...document.querySelectorAll('.edge')];const nodes=[...document.querySelectorAll('.node')];
function reach(id,dir){const seen=new Set([id]);const todo=[id];while(todo.length){const x=todo.pop();for(const e of edges){const a=e.dataset.from,b=e.dataset.to;const [f,t]=dir==='up'?[b,a]:[a,b];if(f===x&&!seen.has(t)){seen.add(t);todo.push(t);}}}return seen;}
function show(id){const on=new Set([...reach(id,'up'),...reach(id,'down')]);nodes.forEach(n=>n.classList.toggle('dim',!on.has(n.dataset.id)));edges.forEach(e=>{const lit=on.has(e.dataset.from)&&on.has(e.dataset.to);e.classList.toggle('on',lit);e.classList.toggle('dim',!lit);});}
nodes.forEach(n=>n.addEventListener('click',ev=>{ev.stopPropagation();show(n.dataset.id);}));
document.getElementById('g').addEventListener('click',()=>{nodes.forEach(n=>n.classList.remove('dim'));edges.forEach(e=>e.classList.remove('on','dim'));});
</script>
</body></html>
`;
}

/** Writes `manifest.json` and `index.html` into the project's target folder; returns their paths. */
export function writeDocs(graph: ProjectGraph, targetPath: string): { manifest: string; page: string } {
  mkdirSync(targetPath, { recursive: true });
  const manifest = join(targetPath, 'manifest.json');
  const page = join(targetPath, 'index.html');
  writeFileSync(manifest, `${JSON.stringify(manifestOf(graph), null, 2)}\n`);
  writeFileSync(page, lineageHtml(graph));
  return { manifest, page };
}
