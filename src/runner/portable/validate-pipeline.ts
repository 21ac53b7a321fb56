/**
 * Structural checks of a Runner API `Pipeline` before it is submitted (and in tests of the translation): every id a
 * component refers to exists — transforms' inputs, outputs and subtransforms, environments, PCollections' coders and
 * windowing strategies, window coders, component coders, and the coders inside ParDo and Combine payloads — every
 * leaf PCollection has exactly one producer, and the root transforms are exactly those no composite contains.
 * @example
 *   const problems = pipelineProblems(translation.pipeline);  // [] when the pipeline is well-formed
 */
import { fromBinary } from '@bufbuild/protobuf';
import { CombinePayloadSchema, ParDoPayloadSchema, type Pipeline } from './gen/pipeline/v1/beam_runner_api_pb.ts';
import { TRANSFORM_URNS } from './urns.ts';

const COMBINE_URNS: ReadonlySet<string> = new Set([
  TRANSFORM_URNS.combinePerKey,
  TRANSFORM_URNS.combinePrecombine,
  TRANSFORM_URNS.combineMergeAccumulators,
  TRANSFORM_URNS.combineExtractOutputs,
  TRANSFORM_URNS.combineGroupedValues,
]);

/** What is wrong with the pipeline, one line each (empty: nothing). */
export function pipelineProblems(pipeline: Pipeline): string[] {
  const problems: string[] = [];
  const c = pipeline.components;
  if (c === undefined) return ['the pipeline has no components'];
  const need = (map: Record<string, unknown>, id: string, what: string, where: string) => {
    if (id === '' || !(id in map)) problems.push(`${where}: ${what} '${id}' does not exist`);
  };
  const contained = new Set<string>();
  const producers = new Map<string, string[]>();
  for (const [id, t] of Object.entries(c.transforms)) {
    const where = `transform ${id}`;
    for (const pc of Object.values(t.inputs)) need(c.pcollections, pc, 'input PCollection', where);
    for (const pc of Object.values(t.outputs)) need(c.pcollections, pc, 'output PCollection', where);
    for (const sub of t.subtransforms) {
      need(c.transforms, sub, 'subtransform', where);
      contained.add(sub);
    }
    if (t.environmentId !== '') need(c.environments, t.environmentId, 'environment', where);
    if (t.subtransforms.length === 0) {
      if (t.spec === undefined || t.spec.urn === '') problems.push(`${where}: a leaf transform without a URN`);
      for (const pc of Object.values(t.outputs)) producers.set(pc, [...(producers.get(pc) ?? []), id]);
    }
    const urn = t.spec?.urn ?? '';
    try {
      if (urn === TRANSFORM_URNS.parDo) {
        const p = fromBinary(ParDoPayloadSchema, t.spec!.payload);
        if (p.doFn === undefined || p.doFn.urn === '') problems.push(`${where}: a ParDo without a DoFn`);
        for (const local of Object.keys(p.sideInputs)) if (!(local in t.inputs)) problems.push(`${where}: side input '${local}' is not among the inputs`);
        for (const [sid, s] of Object.entries(p.stateSpecs)) {
          const v = s.spec.value;
          const ids = v === undefined ? [] : Object.entries(v).filter(([k]) => /coderId$/i.test(k)).map(([, x]) => x as string);
          if (ids.length === 0) problems.push(`${where}: state '${sid}' has no coder`);
          for (const cid of ids) need(c.coders, cid, `coder of state '${sid}'`, where);
        }
        for (const [tid, tf] of Object.entries(p.timerFamilySpecs)) need(c.coders, tf.timerFamilyCoderId, `coder of timer family '${tid}'`, where);
        if (p.onWindowExpirationTimerFamilySpec !== '' && !(p.onWindowExpirationTimerFamilySpec in p.timerFamilySpecs)) problems.push(`${where}: the window-expiration timer family is not declared`);
        if (p.restrictionCoderId !== '') need(c.coders, p.restrictionCoderId, 'restriction coder', where);
      } else if (COMBINE_URNS.has(urn)) {
        const p = fromBinary(CombinePayloadSchema, t.spec!.payload);
        if (p.combineFn === undefined || p.combineFn.urn === '') problems.push(`${where}: a combine without a CombineFn`);
        need(c.coders, p.accumulatorCoderId, 'accumulator coder', where);
      }
    } catch (e) {
      problems.push(`${where}: its ${urn} payload does not decode: ${(e as Error).message}`);
    }
  }
  for (const [id, pc] of Object.entries(c.pcollections)) {
    need(c.coders, pc.coderId, 'coder', `PCollection ${id}`);
    need(c.windowingStrategies, pc.windowingStrategyId, 'windowing strategy', `PCollection ${id}`);
    const made = producers.get(id) ?? [];
    if (made.length !== 1) problems.push(`PCollection ${id}: produced by ${made.length} leaf transforms (${made.join(', ')}), expected 1`);
  }
  for (const [id, ws] of Object.entries(c.windowingStrategies)) {
    need(c.coders, ws.windowCoderId, 'window coder', `windowing strategy ${id}`);
    if (ws.environmentId !== '') need(c.environments, ws.environmentId, 'environment', `windowing strategy ${id}`);
    if (ws.windowFn === undefined || ws.windowFn.urn === '') problems.push(`windowing strategy ${id}: no window function`);
    if (ws.trigger === undefined || ws.trigger.trigger.case === undefined) problems.push(`windowing strategy ${id}: no trigger`);
  }
  for (const [id, coder] of Object.entries(c.coders)) {
    if (coder.spec === undefined || coder.spec.urn === '') problems.push(`coder ${id}: no URN`);
    for (const cc of coder.componentCoderIds) need(c.coders, cc, 'component coder', `coder ${id}`);
  }
  const roots = new Set(pipeline.rootTransformIds);
  for (const r of roots) {
    need(c.transforms, r, 'root transform', 'pipeline');
    if (contained.has(r)) problems.push(`pipeline: root transform ${r} is also a subtransform`);
  }
  for (const id of Object.keys(c.transforms)) if (!contained.has(id) && !roots.has(id)) problems.push(`transform ${id}: neither a root nor inside a composite`);
  return problems;
}
