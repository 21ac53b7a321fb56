/**
 * URNs of the Runner API. Beam's standard URNs are read from the generated descriptors (the `beam_urn` option on the
 * values of Beam's `Standard*` enums), never typed by hand, so a typo cannot slip in and a newer Beam's protos bring
 * theirs. Riffle's own URNs (its DoFns, combiners, window functions and coders, which only Riffle's harness runs)
 * are under `riffle:`.
 * @example
 *   standardUrn(StandardPTransforms_PrimitivesSchema, 'IMPULSE')  // 'beam:transform:impulse:v1'
 */
import { getOption } from '@bufbuild/protobuf';
import type { DescEnum } from '@bufbuild/protobuf';
import { beam_urn, StandardCoders_EnumSchema, StandardEnvironments_EnvironmentsSchema, StandardPTransforms_CombineComponentsSchema, StandardPTransforms_CompositesSchema, StandardPTransforms_PrimitivesSchema, StandardRequirements_EnumSchema, StandardSideInputTypes_EnumSchema, StandardArtifacts_TypesSchema, StandardArtifacts_RolesSchema, StandardUserStateTypes_EnumSchema } from './gen/pipeline/v1/beam_runner_api_pb.ts';
import { FixedWindowsPayload_EnumSchema, GlobalWindowsPayload_EnumSchema, SessionWindowsPayload_EnumSchema, SlidingWindowsPayload_EnumSchema } from './gen/pipeline/v1/standard_window_fns_pb.ts';

/** The `beam_urn` of one value (by its proto name) of a Beam enum; an absent value or option is a programming error. */
export function standardUrn(schema: DescEnum, valueName: string): string {
  const value = schema.values.find((v) => v.name === valueName);
  if (value === undefined) throw new RangeError(`${schema.typeName} has no value ${valueName}`);
  const urn = getOption(value, beam_urn);
  if (urn === '') throw new RangeError(`${schema.typeName}.${valueName} has no beam_urn`);
  return urn;
}

/** Every `beam_urn` that Beam's protos declare on the values of an enum (for tests and capability lists). */
export function standardUrns(schema: DescEnum): string[] {
  return schema.values.map((v) => getOption(v, beam_urn)).filter((u) => u !== '');
}

const P = StandardPTransforms_PrimitivesSchema;
const C = StandardPTransforms_CompositesSchema;
const CC = StandardPTransforms_CombineComponentsSchema;

/** Beam's standard transform URNs that the translation emits. */
export const TRANSFORM_URNS = {
  impulse: standardUrn(P, 'IMPULSE'),
  parDo: standardUrn(P, 'PAR_DO'),
  flatten: standardUrn(P, 'FLATTEN'),
  groupByKey: standardUrn(P, 'GROUP_BY_KEY'),
  windowInto: standardUrn(P, 'ASSIGN_WINDOWS'),
  combinePerKey: standardUrn(C, 'COMBINE_PER_KEY'),
  reshuffle: standardUrn(C, 'RESHUFFLE'),
  combinePrecombine: standardUrn(CC, 'COMBINE_PER_KEY_PRECOMBINE'),
  combineMergeAccumulators: standardUrn(CC, 'COMBINE_PER_KEY_MERGE_ACCUMULATORS'),
  combineExtractOutputs: standardUrn(CC, 'COMBINE_PER_KEY_EXTRACT_OUTPUTS'),
  combineGroupedValues: standardUrn(CC, 'COMBINE_GROUPED_VALUES'),
} as const;

const SC = StandardCoders_EnumSchema;
/** Beam's standard coder URNs that the translation emits. */
export const CODER_URNS = {
  bytes: standardUrn(SC, 'BYTES'),
  stringUtf8: standardUrn(SC, 'STRING_UTF8'),
  kv: standardUrn(SC, 'KV'),
  bool: standardUrn(SC, 'BOOL'),
  varint: standardUrn(SC, 'VARINT'),
  double: standardUrn(SC, 'DOUBLE'),
  iterable: standardUrn(SC, 'ITERABLE'),
  timer: standardUrn(SC, 'TIMER'),
  intervalWindow: standardUrn(SC, 'INTERVAL_WINDOW'),
  lengthPrefix: standardUrn(SC, 'LENGTH_PREFIX'),
  globalWindow: standardUrn(SC, 'GLOBAL_WINDOW'),
  windowedValue: standardUrn(SC, 'WINDOWED_VALUE'),
  nullable: standardUrn(SC, 'NULLABLE'),
} as const;

/** Beam's standard window function URNs. */
export const WINDOW_FN_URNS = {
  global: standardUrn(GlobalWindowsPayload_EnumSchema, 'PROPERTIES'),
  fixed: standardUrn(FixedWindowsPayload_EnumSchema, 'PROPERTIES'),
  sliding: standardUrn(SlidingWindowsPayload_EnumSchema, 'PROPERTIES'),
  sessions: standardUrn(SessionWindowsPayload_EnumSchema, 'PROPERTIES'),
} as const;

const SI = StandardSideInputTypes_EnumSchema;
export const SIDE_INPUT_URNS = {
  iterable: standardUrn(SI, 'ITERABLE'),
  multimap: standardUrn(SI, 'MULTIMAP'),
} as const;

const US = StandardUserStateTypes_EnumSchema;
/** The protocols through which the harness reads and writes user state (the state API's request kinds). */
export const USER_STATE_URNS = {
  bag: standardUrn(US, 'BAG'),
  multimap: standardUrn(US, 'MULTIMAP'),
  orderedList: standardUrn(US, 'ORDERED_LIST'),
} as const;

const R = StandardRequirements_EnumSchema;
export const REQUIREMENT_URNS = {
  stateful: standardUrn(R, 'REQUIRES_STATEFUL_PROCESSING'),
  splittable: standardUrn(R, 'REQUIRES_SPLITTABLE_DOFN'),
  bundleFinalization: standardUrn(R, 'REQUIRES_BUNDLE_FINALIZATION'),
} as const;

const E = StandardEnvironments_EnvironmentsSchema;
export const ENVIRONMENT_URNS = {
  process: standardUrn(E, 'PROCESS'),
  external: standardUrn(E, 'EXTERNAL'),
  docker: standardUrn(E, 'DOCKER'),
} as const;

export const ARTIFACT_URNS = {
  file: standardUrn(StandardArtifacts_TypesSchema, 'FILE'),
  stagingTo: standardUrn(StandardArtifacts_RolesSchema, 'STAGING_TO'),
} as const;

/**
 * Riffle's own URNs: functions only Riffle's harness runs. Each payload is JSON naming the pipeline module and the
 * step (see riffle-payload.ts): the harness loads the module, builds the same pipeline and finds the step by name.
 */
export const RIFFLE_URNS = {
  /** A ParDo over a Riffle DoFn, map, flatMap, filter or timestamp assignment (the payload says which). */
  doFn: 'riffle:dofn:v1',
  /** The splittable DoFn that reads a Riffle source (its restrictions are the source's splits). */
  sourceDoFn: 'riffle:dofn:source:v1',
  /** A ParDo that writes to a Riffle sink. */
  sinkDoFn: 'riffle:dofn:sink:v1',
  /** A grouping's halves windowed in the harness (translate-harness-grouping.ts): ReifyWindows, GroupAlsoByWindow. */
  groupingDoFn: 'riffle:dofn:grouping:v1',
  /** A Riffle combiner (combinePerKey's combineFn). */
  combineFn: 'riffle:combine_fn:v1',
  /** A custom window function (`window.custom`). */
  windowFn: 'riffle:window_fn:custom:v1',
  /** Riffle's default coder for plain JS values (`coders.object()`); payload `{"canonical":true}` when it keys a grouping. */
  objectCoder: 'riffle:coder:object:v1',
  /** A coder the pipeline declared (`withCoder`) with no standard URN: the payload names the collection that holds it. */
  declaredCoder: 'riffle:coder:declared:v1',
  /**
   * An element with its timestamp, windows and pane, as `beam:coder:windowed_value:v1` (components: value, window)
   * but opaque to the runner, which would decode the standard one and could not read a custom window coder's windows.
   */
  windowedValueCoder: 'riffle:coder:windowed_value:v1',
  /** A source's restriction (one of its splits). */
  restrictionCoder: 'riffle:coder:source_split:v1',
  /** The side-input view function: `singleton`, `iterable`, `map` or `multimap`, in the payload. */
  viewFn: 'riffle:view_fn:v1',
  /** The window mapping function of a side input: the main window → the side input's window (the window fn's). */
  windowMappingFn: 'riffle:window_mapping_fn:v1',
} as const;
