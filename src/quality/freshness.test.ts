import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { checkFreshness, evaluateSla, parseSlaDuration } from './index.ts';

const now = '2024-06-01T12:00:00Z';
const ago = (minutes: number) => new Date(Date.parse(now) - minutes * 60_000);

test('freshness: FRESH up to 1.5x the interval, STALE up to 3x, VERY_STALE beyond, NO_DATA without an update (the seed monitor)', () => {
  const at = (minutes: number) => checkFreshness({ lastUpdated: ago(minutes), expectedInterval: '1h', now }).status;
  assert.equal(at(30), 'FRESH');
  assert.equal(at(90), 'FRESH');
  assert.equal(at(91), 'STALE');
  assert.equal(at(180), 'STALE');
  assert.equal(at(181), 'VERY_STALE');
  const r = checkFreshness({ lastUpdated: '2024-06-01T11:50:00Z', expectedInterval: '5 minutes', now });
  assert.deepEqual(r, { status: 'STALE', stalenessMinutes: 10, expectedIntervalMinutes: 5, lastUpdated: '2024-06-01T11:50:00.000Z', checkedAt: '2024-06-01T12:00:00.000Z' });
  assert.equal(checkFreshness({ lastUpdated: null, expectedInterval: 60_000, now }).status, 'NO_DATA');
  assert.equal(checkFreshness({ lastUpdated: ago(20 * 60), expectedInterval: { count: 12, period: 'hour' }, now }).status, 'STALE');
  assert.throws(() => checkFreshness({ lastUpdated: 'yesterday-ish', expectedInterval: '1h', now }), /not a time/);
  assert.throws(() => checkFreshness({ lastUpdated: now, expectedInterval: 'soon', now }), /cannot read "soon" as a duration/);
});

test('durations as the seeds write them', () => {
  assert.equal(parseSlaDuration('1 hour'), 3_600_000);
  assert.equal(parseSlaDuration('5 minutes'), 300_000);
  assert.equal(parseSlaDuration('24h'), 86_400_000);
  assert.equal(parseSlaDuration('1h30m'), 5_400_000);
  assert.equal(parseSlaDuration(30, 'x', 60_000), 1_800_000);
});

test("the short SLA form of the seed contract (availability, freshness, latency)", () => {
  const doc = parse('sla:\n  availability: 99.9%\n  freshness: 1 hour\n  latency: 5 minutes\n');
  const ok = evaluateSla(doc, { freshness: '42m', latency: 3, availability: 99.95 });
  assert.equal(ok.met, true);
  assert.deepEqual(ok.results.map((r) => [r.slo, r.status, r.observed]), [['freshness', 'MET', 42], ['latency', 'MET', 3], ['availability', 'MET', 99.95]]);
  const bad = evaluateSla(doc, { last_updated: ago(75), now, latency: '10 minutes' });
  assert.equal(bad.met, false);
  assert.deepEqual(bad.results.map((r) => r.status), ['BREACHED', 'BREACHED', 'UNKNOWN']);
  assert.match(bad.results[0]!.message, /freshness 75 min > 60 min/);
});

test('data_sla SLOs with targets and alert thresholds (modern-data-engineering-guide)', () => {
  const doc = parse(`
data_sla:
  dataset: silver.orders
  slos:
    freshness:
      target: p95_lag_minutes < 30
      alert_threshold: 45
    availability:
      target: uptime >= 99.5%
      alert_threshold: 99.0%
    quality:
      - metric: null_rate_order_id
        target: "< 0.001"
        alert_threshold: 0.01
      - metric: completeness
        target: row_count >= daily_baseline * 0.8
        alert_threshold: daily_baseline * 0.5
    latency:
      target: p95_query_time_seconds < 5
      alert_threshold: 10
`);
  const r = evaluateSla(doc, { p95_lag_minutes: 35, uptime: '99.7%', null_rate_order_id: 0.02, row_count: 9000, daily_baseline: 10000 });
  assert.deepEqual(r.results.map((x) => [x.slo, x.metric, x.status]), [
    ['freshness', 'p95_lag_minutes', 'WARNING'],
    ['availability', 'uptime', 'MET'],
    ['quality: null_rate_order_id', 'null_rate_order_id', 'BREACHED'],
    ['quality: completeness', 'row_count', 'MET'],
    ['latency', 'p95_query_time_seconds', 'UNKNOWN'],
  ]);
  assert.equal(r.met, false);
  assert.equal(evaluateSla(doc, { p95_lag_minutes: 50 }).results[0]!.status, 'BREACHED');
});

test('quality_sla freshness of the seed contract layout and datacontract servicelevels', () => {
  const seed = parse('quality_sla:\n  freshness:\n    max_delay_minutes: 30\n');
  assert.equal(evaluateSla(seed, { freshness: 29 }).met, true);
  assert.equal(evaluateSla(seed, { freshness: 31 }).met, false);
  const dcs = parse('servicelevels:\n  freshness:\n    threshold: 25h\n    timestampField: orders.created_at\n  availability:\n    percentage: 99.9%\n');
  const r = evaluateSla(dcs, { last_updated: ago(26 * 60), now, availability: 99.99 });
  assert.deepEqual(r.results.map((x) => x.status), ['BREACHED', 'MET']);
});
