/**
 * Finds the Riffle step a payload names: loads the pipeline module (an absolute path, or a path relative to the
 * harness's working directory; staged artifacts are not retrieved yet), builds the pipeline with the payload's
 * parameters (as worker threads do, runner/exchange/pipeline-job.ts) and looks the step up by its full name. Built
 * pipelines are cached per module and parameters, so a harness builds each pipeline once.
 * @example
 *   const node = await riffleStep(decodeRifflePayload(doFn.payload));
 */
import { resolve } from 'node:path';
import { importUserModule, Pipeline, RiffleError, type PipelineGraph, type PrimitiveNode } from '../../model/index.ts';
import type { RifflePayload } from './riffle-payload.ts';

interface DefinitionLike {
  readonly kind: 'riffle.pipeline';
  build(p: Pipeline, params: Readonly<Record<string, unknown>>): void | Promise<void>;
}

const built = new Map<string, Promise<PipelineGraph>>();
/** The graphs built so far, for synchronous look-ups (coders are built synchronously). */
const ready = new Map<string, PipelineGraph>();
const graphKey = (ref: Pick<RifflePayload, 'module' | 'params'>) => `${ref.module}\u0000${JSON.stringify(ref.params)}`;

async function build(module: string, params: Readonly<Record<string, unknown>>): Promise<PipelineGraph> {
  const path = resolve(module);
  const mod = (await importUserModule(path)) as { default?: DefinitionLike };
  const definition = mod.default;
  if (definition?.kind !== 'riffle.pipeline' || typeof definition.build !== 'function') {
    throw new RiffleError('HARNESS_MODULE_INVALID', `Riffle's harness: ${path} does not export a pipeline definition (Pipeline.define) as its default`, { domain: 'user' });
  }
  const p = Pipeline.create();
  await definition.build(p, params);
  return p.graph;
}

/** The pipeline graph a payload's module builds with its parameters. */
export function pipelineGraph(ref: Pick<RifflePayload, 'module' | 'params'>): Promise<PipelineGraph> {
  const key = graphKey(ref);
  let graph = built.get(key);
  if (graph === undefined) {
    graph = build(ref.module, ref.params);
    built.set(key, graph);
    graph.then(
      (g) => void ready.set(key, g),
      () => built.delete(key),
    );
  }
  return graph;
}

/** The pipeline graph of a module and parameters when it is already built (pipelineGraph), else undefined. */
export function builtPipelineGraph(ref: Pick<RifflePayload, 'module' | 'params'>): PipelineGraph | undefined {
  return ready.get(graphKey(ref));
}

/** The step a payload names (a RiffleError naming it when the rebuilt pipeline has no such step). */
export async function riffleStep(payload: RifflePayload): Promise<PrimitiveNode> {
  const graph = await pipelineGraph(payload);
  for (const node of graph.nodes.values()) if (node.name === payload.step) return node;
  throw new RiffleError('HARNESS_STEP_MISSING', `Riffle's harness: the pipeline built by ${payload.module} has no step '${payload.step}'`, { domain: 'user' });
}
