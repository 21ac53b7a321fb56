import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Schedule } from './schedule.ts';
import { renderTemplate, templateContext } from './template-context.ts';
import { formatIsoIn, parseDateIn } from './zoned-time.ts';

const iso = (t: number) => new Date(t).toISOString();
const H = 3_600_000;

describe('schedules', () => {
  it('daily intervals with and without catchup', () => {
    const s = Schedule.of('@daily');
    const q = { startDate: Date.UTC(2024, 0, 1), now: Date.UTC(2024, 0, 4, 5), catchup: true };
    assert.deepEqual(s.dueIntervals(q).map((i) => iso(i.start)), ['2024-01-01', '2024-01-02', '2024-01-03'].map((d) => `${d}T00:00:00.000Z`));
    assert.deepEqual(s.dueIntervals({ ...q, catchup: false }).map((i) => iso(i.start)), ['2024-01-03T00:00:00.000Z']);
    assert.deepEqual(s.dueIntervals({ ...q, lastLogicalDate: Date.UTC(2024, 0, 2) }).map((i) => iso(i.start)), ['2024-01-03T00:00:00.000Z']);
    assert.deepEqual(s.dueIntervals({ ...q, endDate: Date.UTC(2024, 0, 1) }).length, 1);
    assert.deepEqual(s.intervalAt(Date.UTC(2024, 0, 1)), { start: Date.UTC(2024, 0, 1), end: Date.UTC(2024, 0, 2) });
  });

  it('cron in a time zone across DST: 02:30 daily in New York', () => {
    const s = Schedule.of('30 2 * * *', 'America/New_York');
    const starts = s.logicalDatesBetween(Date.UTC(2024, 2, 9), Date.UTC(2024, 2, 12)).map(iso);
    // 2024-03-10 02:30 does not exist (clocks jump 02:00 → 03:00): that day's run fires at 03:00, when the gap ends.
    assert.deepEqual(starts, ['2024-03-09T07:30:00.000Z', '2024-03-10T07:00:00.000Z', '2024-03-11T06:30:00.000Z']);
    const fall = Schedule.of('30 1 * * *', 'America/New_York').logicalDatesBetween(Date.UTC(2024, 10, 2), Date.UTC(2024, 10, 4, 12)).map(iso);
    assert.deepEqual(fall, ['2024-11-02T05:30:00.000Z', '2024-11-03T05:30:00.000Z', '2024-11-04T06:30:00.000Z'], '01:30 happens twice on Nov 3; it runs once');
  });

  it('@once and manual-only schedules', () => {
    const once = Schedule.of('@once');
    assert.equal(once.dueIntervals({ startDate: 5, now: 10, catchup: false }).length, 1);
    assert.equal(once.dueIntervals({ startDate: 5, now: 10, catchup: false, lastLogicalDate: 5 }).length, 0);
    assert.equal(Schedule.of(null).dueIntervals({ startDate: 5, now: 10, catchup: true }).length, 0);
  });

  it('reads local dates in a zone', () => {
    assert.equal(parseDateIn('2024-01-01', 'Europe/Paris'), Date.UTC(2023, 11, 31, 23));
    assert.equal(parseDateIn('2024-07-01T06:00', 'Europe/Paris'), Date.UTC(2024, 6, 1, 4));
    assert.equal(parseDateIn('2024-03-31T02:30', 'Europe/Paris'), Date.UTC(2024, 2, 31, 1, 30), 'in the gap: after it');
    assert.equal(parseDateIn('2024-10-27T02:30', 'Europe/Paris'), Date.UTC(2024, 9, 27, 0, 30), 'in the overlap: the earlier');
    assert.equal(formatIsoIn(Date.UTC(2023, 11, 31, 23), 'Europe/Paris'), '2024-01-01T00:00:00+01:00');
  });
});

describe('templates', () => {
  const ctx = templateContext({
    dagId: 'etl', runId: 'r', taskId: 't', logicalDate: Date.UTC(2023, 11, 31, 23), dataIntervalStart: Date.UTC(2023, 11, 31, 23),
    dataIntervalEnd: Date.UTC(2024, 0, 1, 23), timezone: 'Europe/Paris', tryNumber: 1, mapIndex: -1, params: { region: 'eu', nested: { n: 1 } },
  });
  it('renders dates in the DAG zone and params', () => {
    assert.equal(renderTemplate('data/{{ ds }}/{{ds_nodash}}-{{ params.region }}-{{ params.nested.n }}', ctx), 'data/2024-01-01/20240101-eu-1');
    assert.equal(ctx.ts, '2024-01-01T00:00:00+01:00');
    assert.equal(ctx.data_interval_end, '2024-01-02T00:00:00+01:00');
  });
  it('fails on unknown names with the known ones', () => {
    assert.throws(() => renderTemplate('{{ dss }}', ctx), /unknown 'dss'[\s\S]*known names: dag_id/);
  });
});
void H;
