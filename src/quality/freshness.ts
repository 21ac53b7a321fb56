/**
 * Freshness and SLAs.
 *
 * `checkFreshness` classifies a data asset by the time since its last update, as the seeds' DataFreshnessMonitor
 * (data-engineering-zero-to-hero.md): FRESH up to 1.5 × the expected interval (50 % tolerance), STALE up to 3 ×,
 * VERY_STALE beyond; NO_DATA when it was never updated.
 *
 * `evaluateSla` checks the SLA YAML of the seeds against measured values:
 *  - the short form (data-engineer-guidelines-and-skills.md): `sla: { availability: 99.9%, freshness: 1 hour,
 *    latency: 5 minutes }` — measured `freshness` and `latency` at most, `availability` at least;
 *  - `data_sla.slos` (modern-data-engineering-guide.md): each SLO a `target` such as `p95_lag_minutes < 30`,
 *    `uptime >= 99.5%`, `< 0.001` (on `metric`) or `row_count >= daily_baseline * 0.8`, and an optional
 *    `alert_threshold` on the same metric: target missed but within the alert threshold is WARNING, past it BREACHED;
 *  - `quality_sla.freshness.max_delay_minutes` (the seed contract layout) and the Data Contract Specification's
 *    `servicelevels` (freshness.threshold, latency.threshold, availability.percentage).
 * Measured durations are minutes when numbers (`{ freshness: 42 }`) or duration strings (`'42m'`, `'1 hour'`);
 * `last_updated` (with `now`) stands for freshness. An SLO whose metric was not measured is UNKNOWN, which does
 * not fail the SLA.
 */
import { parseDuration } from '../model/index.ts';
import { SuiteError } from './quality-error.ts';

export type FreshnessStatus = 'FRESH' | 'STALE' | 'VERY_STALE' | 'NO_DATA';

export interface FreshnessCheck {
  readonly status: FreshnessStatus;
  /** Minutes since the last update (null without one). */
  readonly stalenessMinutes: number | null;
  readonly expectedIntervalMinutes: number;
  readonly lastUpdated: string | null;
  readonly checkedAt: string;
}

type TimeLike = Date | string | number;

function toTime(t: TimeLike, what: string): number {
  const ms = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t);
  if (!Number.isFinite(ms)) throw new SuiteError(`${what}: not a time: ${JSON.stringify(t)}`, { hint: 'give a Date, epoch milliseconds or an ISO-8601 string' });
  return ms;
}

const WORD_UNITS: Record<string, number> = {
  ms: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
};

/**
 * A duration in milliseconds from the forms the seeds write: `'1 hour'`, `'5 minutes'`, `'24h'`, `'1h30m'`,
 * `{ count: 12, period: hour }` (dbt), or a number of `numberUnit` (milliseconds by default).
 */
export function parseSlaDuration(d: unknown, what = 'duration', numberUnit = 1): number {
  if (typeof d === 'number' && Number.isFinite(d)) return d * numberUnit;
  if (typeof d === 'object' && d !== null && 'count' in d && 'period' in d) {
    const { count, period } = d as { count: unknown; period: unknown };
    return parseSlaDuration(`${String(count)} ${String(period)}`, what);
  }
  if (typeof d === 'string') {
    const words = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(d);
    const unit = words ? WORD_UNITS[words[2]!.toLowerCase()] : undefined;
    if (words && unit !== undefined) return Number(words[1]) * unit;
    try {
      return parseDuration(d, what);
    } catch {
      // fall through to the error below
    }
  }
  throw new SuiteError(`${what}: cannot read ${JSON.stringify(d)} as a duration`, { hint: "write e.g. '30 minutes', '1 hour', '24h', '1h30m' or { count: 12, period: hour }" });
}

/**
 * Freshness of a data asset: FRESH / STALE / VERY_STALE against the expected update interval (NO_DATA without
 * a last update).
 * @example checkFreshness({ lastUpdated: table.lastCommitTime, expectedInterval: '1h' }).status  // 'FRESH'
 */
export function checkFreshness(options: { lastUpdated: TimeLike | null | undefined; expectedInterval: string | number | { count: number; period: string }; now?: TimeLike }): FreshnessCheck {
  const now = options.now === undefined ? Date.now() : toTime(options.now, 'now');
  const interval = parseSlaDuration(options.expectedInterval, 'expectedInterval');
  if (!(interval > 0)) throw new SuiteError(`expectedInterval must be positive, got ${JSON.stringify(options.expectedInterval)}`);
  const expectedIntervalMinutes = interval / 60_000;
  const checkedAt = new Date(now).toISOString();
  if (options.lastUpdated === null || options.lastUpdated === undefined) return { status: 'NO_DATA', stalenessMinutes: null, expectedIntervalMinutes, lastUpdated: null, checkedAt };
  const last = toTime(options.lastUpdated, 'lastUpdated');
  const stalenessMinutes = (now - last) / 60_000;
  const status: FreshnessStatus = stalenessMinutes <= expectedIntervalMinutes * 1.5 ? 'FRESH' : stalenessMinutes <= expectedIntervalMinutes * 3 ? 'STALE' : 'VERY_STALE';
  return { status, stalenessMinutes, expectedIntervalMinutes, lastUpdated: new Date(last).toISOString(), checkedAt };
}

export type SloStatus = 'MET' | 'WARNING' | 'BREACHED' | 'UNKNOWN';

export interface SloResult {
  /** The SLO's name (freshness, availability, latency, quality metric...). */
  readonly slo: string;
  readonly metric: string;
  /** The target as written, e.g. `p95_lag_minutes < 30`. */
  readonly target: string;
  readonly observed: number | null;
  readonly status: SloStatus;
  readonly message: string;
}

export interface SlaEvaluation {
  /** No SLO is BREACHED (WARNING and UNKNOWN do not fail it). */
  readonly met: boolean;
  readonly results: readonly SloResult[];
}

/** Measured values by metric name: numbers, percents ('99.95%'), durations ('42m') or times (last_updated). */
export type SlaMeasurements = Readonly<Record<string, number | string | Date | null | undefined>>;

type Op = '<' | '<=' | '>' | '>=' | '=' | '==' | '!=';
const OPS: Record<Op, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '>=': (a, b) => a >= b, '=': (a, b) => a === b, '==': (a, b) => a === b, '!=': (a, b) => a !== b,
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function percent(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const m = /^\s*(-?\d+(?:\.\d+)?)\s*%?\s*$/.exec(v);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** A number from an expression: `0.8`, `99.5%`, `daily_baseline * 0.8`, `45` (measured names resolve). */
function valueOf(expr: unknown, measured: SlaMeasurements): number | undefined {
  const direct = percent(expr);
  if (direct !== undefined) return direct;
  if (typeof expr !== 'string') return undefined;
  const m = /^\s*([A-Za-z_][\w.]*)\s*(?:([*/+-])\s*(-?\d+(?:\.\d+)?))?\s*$/.exec(expr);
  if (!m) return undefined;
  const base = measuredNumber(measured[m[1]!]);
  if (base === undefined) return undefined;
  if (m[2] === undefined) return base;
  const k = Number(m[3]);
  return m[2] === '*' ? base * k : m[2] === '/' ? base / k : m[2] === '+' ? base + k : base - k;
}

function measuredNumber(v: SlaMeasurements[string]): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Date) return v.getTime();
  return percent(v);
}

/** A measured duration in minutes (numbers are minutes). */
function measuredMinutes(v: SlaMeasurements[string]): number | undefined {
  if (v === null || v === undefined || v instanceof Date) return undefined;
  if (typeof v === 'number') return v;
  const p = /^\s*-?\d+(?:\.\d+)?\s*$/.test(v) ? Number(v) : undefined;
  return p ?? parseSlaDuration(v, 'measured duration') / 60_000;
}

function freshnessMinutes(measured: SlaMeasurements): number | undefined {
  const given = measuredMinutes(measured.freshness ?? measured.freshness_minutes);
  if (given !== undefined) return given;
  const last = measured.last_updated ?? measured.lastUpdated;
  if (last === null || last === undefined) return undefined;
  const now = measured.now === undefined || measured.now === null ? Date.now() : toTime(measured.now as TimeLike, 'now');
  return (now - toTime(last as TimeLike, 'last_updated')) / 60_000;
}

/** A "maximum duration" SLO (freshness, latency). */
function maxDuration(slo: string, limit: unknown, observed: number | undefined): SloResult {
  const limitMinutes = parseSlaDuration(limit, `${slo} SLA`, 60_000) / 60_000;
  const target = `${slo} <= ${limitMinutes} min`;
  if (observed === undefined) return { slo, metric: `${slo}_minutes`, target, observed: null, status: 'UNKNOWN', message: `${slo} was not measured` };
  const ok = observed <= limitMinutes;
  return { slo, metric: `${slo}_minutes`, target, observed, status: ok ? 'MET' : 'BREACHED', message: `${slo} ${round(observed)} min ${ok ? '≤' : '>'} ${limitMinutes} min` };
}

function minPercent(slo: string, limit: unknown, observed: number | undefined): SloResult {
  const min = percent(limit);
  if (min === undefined) throw new SuiteError(`${slo} SLA: cannot read ${JSON.stringify(limit)} as a percentage`);
  const target = `${slo} >= ${min}%`;
  if (observed === undefined) return { slo, metric: `${slo}_percent`, target, observed: null, status: 'UNKNOWN', message: `${slo} was not measured` };
  const ok = observed >= min;
  return { slo, metric: `${slo}_percent`, target, observed, status: ok ? 'MET' : 'BREACHED', message: `${slo} ${observed}% ${ok ? '≥' : '<'} ${min}%` };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** One `data_sla.slos` entry: `target` (with an optional metric prefix) and `alert_threshold`. */
function targetSlo(slo: string, spec: Obj, measured: SlaMeasurements): SloResult {
  const target = String(spec.target ?? '');
  const m = /^\s*(?:([A-Za-z_][\w.]*)\s*)?(<=|>=|==|!=|<|>|=)\s*(.+?)\s*$/.exec(target);
  if (!m) throw new SuiteError(`SLO ${slo}: cannot read the target ${JSON.stringify(target)}`, { hint: "write e.g. 'p95_lag_minutes < 30', 'uptime >= 99.5%' or '< 0.001' with metric" });
  const metric = m[1] ?? (typeof spec.metric === 'string' ? spec.metric : slo);
  const op = m[2] as Op;
  const bound = valueOf(m[3], measured);
  const observed = measuredNumber(measured[metric]);
  if (observed === undefined || bound === undefined) {
    return { slo, metric, target, observed: observed ?? null, status: 'UNKNOWN', message: observed === undefined ? `${metric} was not measured` : `cannot evaluate '${m[3]}' (missing a measured value)` };
  }
  if (OPS[op](observed, bound)) return { slo, metric, target, observed, status: 'MET', message: `${metric} = ${round(observed)} meets ${op} ${round(bound)}` };
  const alert = spec.alert_threshold === undefined ? undefined : valueOf(spec.alert_threshold, measured);
  // The alert threshold bounds the same metric in the same direction: within it, the SLO is only at risk.
  const withinAlert = alert !== undefined && (op === '<' || op === '<=' ? observed <= alert : op === '>' || op === '>=' ? observed >= alert : false);
  return {
    slo, metric, target, observed,
    status: withinAlert ? 'WARNING' : 'BREACHED',
    message: `${metric} = ${round(observed)} misses ${op} ${round(bound)}${alert !== undefined ? (withinAlert ? ` (within the alert threshold ${round(alert)})` : ` and the alert threshold ${round(alert)}`) : ''}`,
  };
}

/**
 * Evaluates an SLA (parsed YAML: a document with `sla`, `data_sla`, `quality_sla` or `servicelevels`, or one of
 * those blocks itself) against measured values.
 * @example evaluateSla(parseYaml(text), { freshness: '42m', latency: 3, availability: 99.95 })
 */
export function evaluateSla(document: unknown, measured: SlaMeasurements): SlaEvaluation {
  if (!isObj(document)) throw new SuiteError('SLA: expected a mapping (sla, data_sla, quality_sla or servicelevels)');
  const results: SloResult[] = [];
  const fresh = freshnessMinutes(measured);
  const latency = measuredMinutes(measured.latency ?? measured.latency_minutes);
  const availability = measuredNumber(measured.availability ?? measured.availability_percent ?? measured.uptime);
  const known = ['sla', 'data_sla', 'quality_sla', 'servicelevels', 'slos'];
  // A bare short form: { freshness: 1 hour, latency: ..., availability: ... }.
  const doc = known.some((k) => k in document) ? document : { sla: document };
  if (isObj(doc.sla)) {
    const s = doc.sla;
    if (s.freshness !== undefined) results.push(maxDuration('freshness', s.freshness, fresh));
    if (s.latency !== undefined) results.push(maxDuration('latency', s.latency, latency));
    if (s.availability !== undefined) results.push(minPercent('availability', s.availability, availability));
  }
  const slos = isObj(doc.data_sla) ? doc.data_sla.slos : doc.slos;
  if (isObj(slos)) {
    for (const [name, spec] of Object.entries(slos)) {
      for (const one of Array.isArray(spec) ? spec : [spec]) if (isObj(one)) results.push(targetSlo(name === 'quality' && typeof one.metric === 'string' ? `quality: ${one.metric}` : name, one, measured));
    }
  }
  if (isObj(doc.quality_sla) && isObj(doc.quality_sla.freshness) && doc.quality_sla.freshness.max_delay_minutes !== undefined) {
    results.push(maxDuration('freshness', doc.quality_sla.freshness.max_delay_minutes, fresh));
  }
  if (isObj(doc.servicelevels)) {
    const sl = doc.servicelevels;
    if (isObj(sl.freshness) && sl.freshness.threshold !== undefined) results.push(maxDuration('freshness', sl.freshness.threshold, fresh));
    if (isObj(sl.latency) && sl.latency.threshold !== undefined) results.push(maxDuration('latency', sl.latency.threshold, latency));
    if (isObj(sl.availability) && sl.availability.percentage !== undefined) results.push(minPercent('availability', sl.availability.percentage, availability));
  }
  return { met: results.every((r) => r.status !== 'BREACHED'), results };
}
