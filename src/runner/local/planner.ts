import { PipelineValidationError, type PrimitiveNode, type PipelineGraph, type Trigger, type WindowingStrategy } from '../../model/index.ts';

/** A fused stage: a chain of steps that elements pass through synchronously, from a source or a shuffle. */
export interface Stage {
  readonly id: number;
  readonly steps: readonly PrimitiveNode[];
  /** Why the stage starts where it does: 'source', 'shuffle' (grouping, state), 'side-input', 'reshuffle', 'flatten'. */
  readonly startsAt: string;
}

export interface Plan {
  /** Nodes in a topological order: every node after the producers of its inputs and side inputs. */
  readonly order: readonly PrimitiveNode[];
  readonly stages: readonly Stage[];
  /** combinePerKey nodes whose combiner is lifted before the shuffle. */
  readonly lifted: ReadonlySet<string>;
}

const KEYED = new Set(['groupByKey', 'combinePerKey']);

export interface PlanOptions {
  /**
   * Each side input's view starts a stage of its own (on several workers its input is broadcast to every worker,
   * which takes a channel). Default false: a view fuses into its producer's stage.
   */
  readonly viewsStartStages?: boolean;
}

/**
 * Plans a graph for the embedded engine.
 * 1. Topological order (Kahn), over main and side-input edges; a cycle is an error naming its steps.
 * 2. Validation: side inputs exist; stateful ParDos and grouping need keyed input (checked at run time per element).
 * 3. Combiner lifting: a combinePerKey is lifted when its trigger depends on the watermark only and its windows do
 *    not merge, so partial combining cannot change which panes fire.
 * 4. Fusion: each step joins its producer's stage unless it is keyed (shuffle), has several inputs (flatten), reads
 *    side inputs, is a reshuffle, or its producer feeds several consumers.
 */
export function plan(graph: PipelineGraph, options: PlanOptions = {}): Plan {
  const order = topologicalOrder(graph);
  const lifted = new Set<string>();
  for (const node of order) {
    if (node.kind !== 'combinePerKey') continue;
    const input = graph.collections.get(node.inputs[0]!)!;
    if (isLiftable(input.windowing)) lifted.add(node.id);
  }
  return { order, stages: fuse(graph, order, options), lifted };
}

export function isLiftable(w: WindowingStrategy): boolean {
  return !w.windowFn.isMerging && watermarkOnly(w.trigger);
}

/** True when panes depend on the watermark alone (the default trigger, or afterWatermark() with no early/late firings). */
export function watermarkOnly(t: Trigger): boolean {
  return t.kind === 'default' || (t.kind === 'afterWatermark' && t.early === undefined && t.late === undefined);
}

function topologicalOrder(graph: PipelineGraph): PrimitiveNode[] {
  const viewNode = new Map<string, string>();
  for (const n of graph.nodes.values()) if (n.kind === 'view') viewNode.set((n.spec as { viewId: string }).viewId, n.id);
  const deps = new Map<string, Set<string>>();
  for (const n of graph.nodes.values()) {
    const d = new Set<string>();
    for (const c of n.inputs) {
      const info = graph.collections.get(c);
      if (!info) throw new PipelineValidationError(`step '${n.name}' reads a collection that is not in this pipeline`);
      d.add(info.producer);
    }
    for (const v of n.sideInputs) {
      const producer = viewNode.get(v);
      if (!producer) {
        throw new PipelineValidationError(`step '${n.name}' reads a side input that is never materialized`, {
          hint: 'create the view with collection.apply(view.asSingleton()/asIterable()/asMap()/asMultimap()) in the same pipeline',
        });
      }
      d.add(producer);
    }
    deps.set(n.id, d);
  }
  const order: PrimitiveNode[] = [];
  const indegree = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const [id, d] of deps) {
    indegree.set(id, d.size);
    for (const p of d) {
      const list = dependents.get(p) ?? [];
      list.push(id);
      dependents.set(p, list);
    }
  }
  const ready = [...indegree].filter(([, n]) => n === 0).map(([id]) => id);
  while (ready.length > 0) {
    const id = ready.shift()!;
    order.push(graph.nodes.get(id)!);
    for (const next of dependents.get(id) ?? []) {
      const n = indegree.get(next)! - 1;
      indegree.set(next, n);
      if (n === 0) ready.push(next);
    }
  }
  if (order.length !== graph.nodes.size) {
    const stuck = [...indegree].filter(([, n]) => n > 0).map(([id]) => graph.nodes.get(id)!.name);
    throw new PipelineValidationError(`the pipeline has a cycle through: ${stuck.join(' → ')}`, { hint: 'a step cannot (indirectly) read its own output' });
  }
  return order;
}

function fuse(graph: PipelineGraph, order: readonly PrimitiveNode[], options: PlanOptions): Stage[] {
  const consumers = graph.consumers();
  const stageOf = new Map<string, Stage & { steps: PrimitiveNode[] }>();
  const stages: Array<Stage & { steps: PrimitiveNode[] }> = [];
  const open = (node: PrimitiveNode, why: string) => {
    const s = { id: stages.length, steps: [node], startsAt: why };
    stages.push(s);
    stageOf.set(node.id, s);
  };
  for (const node of order) {
    if (node.inputs.length === 0) open(node, 'source');
    else if (KEYED.has(node.kind) || (node.kind === 'parDo' && (node.spec as { stateful: boolean }).stateful)) open(node, 'shuffle');
    else if (node.inputs.length > 1) open(node, 'flatten');
    else if (node.sideInputs.length > 0) open(node, 'side-input');
    else if (node.kind === 'reshuffle') open(node, 'reshuffle');
    else if (node.kind === 'view' && options.viewsStartStages === true) open(node, 'side-input');
    else {
      const producer = graph.collections.get(node.inputs[0]!)!.producer;
      const fanOut = (consumers.get(node.inputs[0]!) ?? []).length > 1;
      const s = stageOf.get(producer);
      if (s && !fanOut) {
        s.steps.push(node);
        stageOf.set(node.id, s);
      } else open(node, fanOut ? 'fan-out' : 'source');
    }
  }
  return stages;
}

/** A readable plan, one line per stage. */
export function describePlan(p: Plan): string {
  return p.stages.map((s) => `stage ${s.id} (${s.startsAt}): ${s.steps.map((n) => (p.lifted.has(n.id) ? `${n.name}[lifted]` : n.name)).join(' → ')}`).join('\n');
}
