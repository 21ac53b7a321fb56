/**
 * Schedules and data intervals. A scheduled run covers a data interval [start, end); its logical date is the start,
 * and it becomes due once the interval has ended (as in Airflow 2.2+). Cron expressions are evaluated in the DAG's
 * time zone by `croner` (DST-aware: a time skipped by spring-forward fires when the gap ends, a repeated one fires once).
 * @example
 *   const s = Schedule.of('@daily', 'UTC');
 *   s.intervalAt(Date.UTC(2024, 0, 1)) // { start: 2024-01-01, end: 2024-01-02 }
 */
import { Cron } from 'croner';
import { DagDefinitionError } from './errors.ts';

/** Presets, a 5- or 6-field cron expression, or null (runs only when triggered). */
export type ScheduleSpec = '@once' | '@hourly' | '@daily' | '@weekly' | '@monthly' | '@yearly' | (string & {}) | null;

/** The span of data a run processes: [start, end), ms since epoch. */
export interface DataInterval {
  readonly start: number;
  readonly end: number;
}

const PRESETS: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

/** What is due for a DAG at `now`, given its bounds and the latest run already created. */
export interface DueQuery {
  startDate: number;
  endDate?: number | undefined;
  /** Logical date of the latest scheduled run already created, if any. */
  lastLogicalDate?: number | undefined;
  now: number;
  catchup: boolean;
}

/** A parsed schedule: cron, once, or none. */
export class Schedule {
  private constructor(
    readonly kind: 'cron' | 'once' | 'none',
    readonly spec: string | null,
    readonly timezone: string,
    private readonly cron: Cron | undefined,
  ) {}

  /** Parses a schedule; throws a DagDefinitionError naming the accepted forms. */
  static of(spec: ScheduleSpec | undefined, timezone = 'UTC'): Schedule {
    if (spec === null || spec === undefined || spec === '@none') return new Schedule('none', null, timezone, undefined);
    if (spec === '@once') return new Schedule('once', spec, timezone, undefined);
    const pattern = PRESETS[spec] ?? spec;
    if (spec.startsWith('@') && PRESETS[spec] === undefined) {
      throw new DagDefinitionError(`unknown schedule preset '${spec}'`, { hint: `use one of ${['@once', ...Object.keys(PRESETS)].join(', ')}, a cron expression, or null` });
    }
    try {
      return new Schedule('cron', spec, timezone, new Cron(pattern, { timezone, paused: true, mode: 'auto' }));
    } catch (e) {
      throw new DagDefinitionError(`cannot read schedule '${spec}' (time zone ${timezone}): ${e instanceof Error ? e.message : String(e)}`, {
        hint: "write a cron expression such as '0 6 * * *' (minute hour day-of-month month day-of-week) or a preset like '@daily'",
      });
    }
  }

  /** The first tick strictly after `t` (cron only). */
  next(t: number): number | undefined {
    return this.cron?.nextRun(new Date(t))?.getTime();
  }

  /** The first tick at or after `t` (cron only). */
  nextOrSame(t: number): number | undefined {
    return this.next(t - 1);
  }

  /** The latest tick at or before `t` (cron only). */
  previousOrSame(t: number): number | undefined {
    const runs = this.cron?.previousRuns(1, new Date(t + 1));
    return runs && runs.length > 0 ? runs[0]!.getTime() : undefined;
  }

  /**
   * The data interval of the run whose logical date is `logicalDate`: [logicalDate, next tick) for cron (a date
   * between ticks starts its interval there), [d, d] for `@once` and unscheduled DAGs.
   */
  intervalAt(logicalDate: number): DataInterval {
    if (this.kind !== 'cron') return { start: logicalDate, end: logicalDate };
    return { start: logicalDate, end: this.next(logicalDate)! };
  }

  /**
   * The intervals whose runs should be created now, oldest first. Strategy:
   * 1. the first candidate starts at the tick after the last run, or at the first tick at/after the start date;
   * 2. without catchup, skip ahead to the latest interval that has already ended (never behind candidate 1);
   * 3. take intervals while they have ended by `now` and start no later than the end date.
   */
  dueIntervals(q: DueQuery, limit = 10_000): DataInterval[] {
    if (this.kind === 'none') return [];
    if (this.kind === 'once') {
      return q.lastLogicalDate === undefined && q.startDate <= q.now ? [{ start: q.startDate, end: q.startDate }] : [];
    }
    let start = q.lastLogicalDate !== undefined ? this.next(q.lastLogicalDate) : this.nextOrSame(q.startDate);
    if (start === undefined) return [];
    if (!q.catchup) {
      const latestEnd = this.previousOrSame(q.now);
      const latestStart = latestEnd === undefined ? undefined : this.previousOrSame(latestEnd - 1);
      if (latestStart !== undefined && latestStart > start) start = latestStart;
    }
    const out: DataInterval[] = [];
    while (out.length < limit) {
      if (q.endDate !== undefined && start > q.endDate) break;
      const end = this.next(start);
      if (end === undefined || end > q.now) break;
      out.push({ start, end });
      start = end;
    }
    return out;
  }

  /** Logical dates of the intervals starting within [from, to] (both inclusive): what a backfill runs. */
  logicalDatesBetween(from: number, to: number): number[] {
    if (this.kind !== 'cron') return from <= to ? [from] : [];
    const out: number[] = [];
    for (let t = this.nextOrSame(from); t !== undefined && t <= to; t = this.next(t)) out.push(t);
    return out;
  }
}
