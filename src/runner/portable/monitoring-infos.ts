/**
 * Beam's MonitoringInfos as Riffle uses them, both ways: the harness reports a bundle's figures in its
 * ProcessBundleResponse, the runner aggregates them (Flink keeps them per stage, summing bundles and subtasks) and
 * the Job API's GetJobMetrics gives them back at the end.
 *
 * - `beam:metric:element_count:v1` (sum_int64) per PCollection (label `PCOLLECTION`): every element a transform of the
 *   stage emitted into it — the data plane's input of a stage included, so a PCollection crossing stages is counted by
 *   both (the reader takes the largest figure of each PCollection);
 * - user metrics of a step's functions: counters as `beam:metric:user:sum_int64:v1`, distributions as
 *   `beam:metric:user:distribution_int64:v1`, gauges as `beam:metric:user:latest_int64:v1` (labels `PTRANSFORM`, and
 *   `NAMESPACE` = the step's name, `NAME` = the metric's) — int64 only, because Flink's runner aggregates no other
 *   type: values are rounded;
 * - in progress responses only, `beam:metric:ptransform_progress:completed:v1` of a read's restriction (records read
 *   so far; iterable of doubles).
 *
 * URNs, types and label keys come from the options of Beam's metrics.proto (none typed by hand). Payloads are varints
 * (Beam's VarLongCoder: signed 64-bit LEB128).
 */
import { create, getOption, type DescEnum } from '@bufbuild/protobuf';
import { ByteReader, ByteWriter, coders } from '../../model/index.ts';
import {
  label_props,
  monitoring_info_spec,
  MonitoringInfo_MonitoringInfoLabelsSchema,
  MonitoringInfoSchema,
  MonitoringInfoSpecs_EnumSchema,
  type MonitoringInfo,
} from './gen/pipeline/v1/metrics_pb.ts';

function option<T>(schema: DescEnum, name: string, read: (v: DescEnum['values'][number]) => T): T {
  const value = schema.values.find((v) => v.name === name);
  if (value === undefined) throw new RangeError(`${schema.typeName} has no value ${name}`);
  return read(value);
}
const spec = (name: string) => option(MonitoringInfoSpecs_EnumSchema, name, (v) => getOption(v, monitoring_info_spec));
const label = (name: string) => option(MonitoringInfo_MonitoringInfoLabelsSchema, name, (v) => getOption(v, label_props).name);

/** The MonitoringInfo specs Riffle reports (urn and type). */
export const METRIC_SPECS = {
  elementCount: spec('ELEMENT_COUNT'),
  userCounter: spec('USER_SUM_INT64'),
  userDistribution: spec('USER_DISTRIBUTION_INT64'),
  userGauge: spec('USER_LATEST_INT64'),
  workCompleted: spec('WORK_COMPLETED'),
};

/** The label keys Riffle sets. */
export const METRIC_LABELS = {
  pcollection: label('PCOLLECTION'),
  transform: label('TRANSFORM'),
  namespace: label('NAMESPACE'),
  name: label('NAME'),
};

const varLong = coders.varInt();

function varLongs(values: readonly number[]): Uint8Array {
  const w = new ByteWriter();
  for (const v of values) varLong.encode(Math.round(v), w);
  return w.toBytes();
}

function readVarLongs(payload: Uint8Array, n: number): number[] {
  const r = new ByteReader(payload);
  return Array.from({ length: n }, () => varLong.decode(r));
}

/** The element count of a PCollection. */
export function elementCountInfo(pcollection: string, count: number): MonitoringInfo {
  const s = METRIC_SPECS.elementCount;
  return create(MonitoringInfoSchema, { urn: s.urn, type: s.type, payload: varLongs([count]), labels: { [METRIC_LABELS.pcollection]: pcollection } });
}

/** A user metric's identity: the transform reporting it, the step (namespace) and its name. */
export interface UserMetricName {
  readonly transform: string;
  readonly step: string;
  readonly name: string;
}

const userLabels = (m: UserMetricName) => ({ [METRIC_LABELS.transform]: m.transform, [METRIC_LABELS.namespace]: m.step, [METRIC_LABELS.name]: m.name });

export function userCounterInfo(m: UserMetricName, value: number): MonitoringInfo {
  const s = METRIC_SPECS.userCounter;
  return create(MonitoringInfoSchema, { urn: s.urn, type: s.type, payload: varLongs([value]), labels: userLabels(m) });
}

export function userDistributionInfo(m: UserMetricName, d: { count: number; sum: number; min: number; max: number }): MonitoringInfo {
  const s = METRIC_SPECS.userDistribution;
  return create(MonitoringInfoSchema, { urn: s.urn, type: s.type, payload: varLongs([d.count, d.sum, d.min, d.max]), labels: userLabels(m) });
}

export function userGaugeInfo(m: UserMetricName, value: number, at: number): MonitoringInfo {
  const s = METRIC_SPECS.userGauge;
  return create(MonitoringInfoSchema, { urn: s.urn, type: s.type, payload: varLongs([at, value]), labels: userLabels(m) });
}

const progressCoder = coders.iterable(coders.double());

/** The work a transform completed so far in its bundle (a progress report: records of the restriction it reads). */
export function workCompletedInfo(transform: string, completed: number): MonitoringInfo {
  const s = METRIC_SPECS.workCompleted;
  const w = new ByteWriter();
  progressCoder.encode([completed], w);
  return create(MonitoringInfoSchema, { urn: s.urn, type: s.type, payload: w.toBytes(), labels: { [METRIC_LABELS.transform]: transform } });
}

/** What a list of MonitoringInfos says, read back: element counts per PCollection and user metrics by `step/name`. */
export interface ReadMetrics {
  readonly elements: ReadonlyMap<string, number>;
  readonly counters: Record<string, number>;
  readonly distributions: Record<string, { count: number; sum: number; min: number; max: number; mean: number }>;
  readonly gauges: Record<string, number>;
}

/**
 * Reads MonitoringInfos (e.g. GetJobMetrics' committed ones): an element count is the largest reported for its
 * PCollection (stages reading it from the data plane count it again); user metrics of one name reported by several
 * transforms or stages are summed (distributions merged, the latest gauge kept). Unknown URNs are skipped.
 */
export function readMonitoringInfos(infos: readonly MonitoringInfo[]): ReadMetrics {
  const elements = new Map<string, number>();
  const counters: Record<string, number> = {};
  const distributions: ReadMetrics['distributions'] = {};
  const gauges = new Map<string, { at: number; value: number }>();
  for (const mi of infos) {
    if (mi.payload.length === 0) continue;
    const key = `${mi.labels[METRIC_LABELS.namespace] ?? ''}/${mi.labels[METRIC_LABELS.name] ?? ''}`;
    switch (mi.urn) {
      case METRIC_SPECS.elementCount.urn: {
        const pc = mi.labels[METRIC_LABELS.pcollection];
        if (pc !== undefined) elements.set(pc, Math.max(elements.get(pc) ?? 0, readVarLongs(mi.payload, 1)[0]!));
        break;
      }
      case METRIC_SPECS.userCounter.urn:
        counters[key] = (counters[key] ?? 0) + readVarLongs(mi.payload, 1)[0]!;
        break;
      case METRIC_SPECS.userDistribution.urn: {
        const [count, sum, min, max] = readVarLongs(mi.payload, 4) as [number, number, number, number];
        const d = distributions[key];
        const merged = d === undefined ? { count, sum, min, max } : { count: d.count + count, sum: d.sum + sum, min: Math.min(d.min, min), max: Math.max(d.max, max) };
        distributions[key] = { ...merged, mean: merged.count > 0 ? merged.sum / merged.count : 0 };
        break;
      }
      case METRIC_SPECS.userGauge.urn: {
        const [at, value] = readVarLongs(mi.payload, 2) as [number, number];
        const g = gauges.get(key);
        if (g === undefined || at >= g.at) gauges.set(key, { at, value });
        break;
      }
    }
  }
  return { elements, counters, distributions, gauges: Object.fromEntries([...gauges].map(([k, g]) => [k, g.value])) };
}
