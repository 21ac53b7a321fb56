/**
 * Evaluates alert rules against what the server knows (jobs, DAG runs, quality results, live step figures) and
 * turns conditions into notifications with de-duplication: an alert is keyed by its rule and subject (a job, a
 * pipeline, a DAG, a suite); it is notified once when it starts firing and once when it resolves, however many
 * evaluations it spans. Every notification and its delivery outcomes are appended to a JSON Lines history, from
 * which a restarted server knows what is firing already (and so does not notify it again).
 * Strategy of an evaluation:
 * 1. each rule gives the subjects whose condition holds now (`conditions`);
 * 2. a key not firing before starts firing (notified); a firing key whose condition no longer holds resolves
 *    (notified); the others change nothing;
 * 3. deliveries run in the background, each channel with its retries; the history line is written when they end.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { deliver, type AlertNotification, type DeliveryOutcome } from './alert-delivery.ts';
import type { AlertConfig, AlertRule } from './alert-rules.ts';

/** A job as the rules see it (times in ms). */
export interface AlertJob {
  readonly id: string;
  readonly pipeline: string;
  readonly state: string;
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  readonly elementsRead: number;
  readonly deadLetters: number;
  /** The largest watermark lag of its steps while it runs (ms), null when unknown. */
  readonly watermarkLagMs: number | null;
  readonly reason: string | null;
}

export interface AlertFacts {
  readonly now: number;
  readonly jobs: readonly AlertJob[];
  /** Each DAG's latest successful run's end (ms), null when it never succeeded. */
  readonly dagLastSuccess: ReadonlyMap<string, number | null>;
  /** Each quality suite's latest result: its success percent and run time (ms). */
  readonly quality: ReadonlyArray<{ readonly suite: string; readonly scorePercent: number; readonly at: number }>;
}

/** One condition that holds: what about, the figure and the message. */
export interface Condition {
  readonly subject: string;
  readonly value: number | null;
  readonly threshold: number | null;
  readonly message: string;
}

/** A history line: a notification and how its deliveries went. */
export type AlertRecord = AlertNotification & { readonly at: string; readonly deliveries: readonly DeliveryOutcome[] };

const HOUR = 3_600_000;
const round = (x: number) => Math.round(x * 100) / 100;
const seconds = (t: number) => `${round(t / 1000)} s`;

/** The subjects for which `rule` holds. */
export function conditions(rule: AlertRule, f: AlertFacts): Condition[] {
  const jobs = f.jobs.filter((j) => !('pipeline' in rule) || rule.pipeline === undefined || j.pipeline === rule.pipeline);
  const recent = (j: AlertJob, window: number) => j.endedAt !== null && j.endedAt >= f.now - window;
  switch (rule.kind) {
    case 'job_failed':
      return jobs.filter((j) => j.state === 'failed' && recent(j, rule.window ?? HOUR)).map((j) => ({ subject: j.id, value: null, threshold: null, message: `job ${j.id} (${j.pipeline}) failed${j.reason ? `: ${j.reason}` : ''}` }));
    case 'failure_rate': {
      const ended = jobs.filter((j) => (j.state === 'failed' || j.state === 'succeeded') && recent(j, rule.window));
      const failed = ended.filter((j) => j.state === 'failed').length;
      if (ended.length < (rule.minJobs ?? 1)) return [];
      const rate = (100 * failed) / ended.length;
      return rate > rule.threshold ? [{ subject: rule.pipeline ?? 'all jobs', value: round(rate), threshold: rule.threshold, message: `${failed} of ${ended.length} jobs${rule.pipeline ? ` of ${rule.pipeline}` : ''} failed in the last ${seconds(rule.window)} (${round(rate)}% > ${rule.threshold}%)` }] : [];
    }
    case 'quality_score_below':
      return f.quality.filter((q) => (rule.suite === undefined || q.suite === rule.suite) && q.scorePercent < rule.threshold).map((q) => ({ subject: q.suite, value: round(q.scorePercent), threshold: rule.threshold, message: `quality suite ${q.suite} scored ${round(q.scorePercent)}% (below ${rule.threshold}%) at ${new Date(q.at).toISOString()}` }));
    case 'runtime_above':
      return jobs.filter((j) => (j.state === 'running' || j.state === 'draining') && j.startedAt !== null && f.now - j.startedAt > rule.threshold).map((j) => ({ subject: j.id, value: f.now - j.startedAt!, threshold: rule.threshold, message: `job ${j.id} (${j.pipeline}) has run for ${seconds(f.now - j.startedAt!)} (more than ${seconds(rule.threshold)})` }));
    case 'freshness_sla': {
      if (!f.dagLastSuccess.has(rule.dag)) return [{ subject: rule.dag, value: null, threshold: rule.within, message: `DAG ${rule.dag} is not in the orchestrator store` }];
      const last = f.dagLastSuccess.get(rule.dag) ?? null;
      if (last !== null && f.now - last <= rule.within) return [];
      return [{ subject: rule.dag, value: last === null ? null : f.now - last, threshold: rule.within, message: last === null ? `DAG ${rule.dag} has no successful run (its SLA is one within ${seconds(rule.within)})` : `DAG ${rule.dag}'s last successful run ended ${seconds(f.now - last)} ago (SLA ${seconds(rule.within)})` }];
    }
    case 'dlq_rate':
      return jobs
        .filter((j) => (j.endedAt === null || recent(j, HOUR)) && j.elementsRead >= (rule.minElements ?? 1) && (100 * j.deadLetters) / j.elementsRead > rule.threshold)
        .map((j) => ({ subject: j.id, value: round((100 * j.deadLetters) / j.elementsRead), threshold: rule.threshold, message: `job ${j.id} (${j.pipeline}) rejected ${j.deadLetters} of ${j.elementsRead} records to its dead letters (${round((100 * j.deadLetters) / j.elementsRead)}% > ${rule.threshold}%)` }));
    case 'watermark_lag':
      return jobs.filter((j) => j.watermarkLagMs !== null && j.watermarkLagMs > rule.threshold && (j.state === 'running' || j.state === 'draining')).map((j) => ({ subject: j.id, value: j.watermarkLagMs, threshold: rule.threshold, message: `job ${j.id} (${j.pipeline}): a step's watermark is ${seconds(j.watermarkLagMs!)} behind (more than ${seconds(rule.threshold)})` }));
  }
}

interface Firing {
  readonly startsAt: string;
  readonly condition: Condition;
}

export class AlertEngine {
  private readonly firing = new Map<string, Firing>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly config: AlertConfig,
    private readonly historyFile: string,
    private readonly o: { source?: string; env?: NodeJS.ProcessEnv; sleep?: (ms: number) => Promise<unknown>; log?: (line: string) => void } = {},
  ) {
    for (const r of readAlertHistory(historyFile)) {
      const key = `${r.rule}\0${r.subject}`;
      if (r.status === 'firing') this.firing.set(key, { startsAt: r.startsAt, condition: { subject: r.subject, value: r.value, threshold: r.threshold, message: r.message } });
      else this.firing.delete(key);
    }
  }

  get rules(): readonly AlertRule[] {
    return this.config.rules;
  }

  /** The alerts firing now. */
  active(): Array<{ rule: string; kind: string; severity: string; subject: string; message: string; value: number | null; threshold: number | null; startsAt: string }> {
    const byName = new Map(this.config.rules.map((r) => [r.name, r]));
    return [...this.firing].flatMap(([key, f]) => {
      const rule = byName.get(key.split('\0')[0]!);
      return rule === undefined ? [] : [{ rule: rule.name, kind: rule.kind, severity: rule.severity, subject: f.condition.subject, message: f.condition.message, value: f.condition.value, threshold: f.condition.threshold, startsAt: f.startsAt }];
    });
  }

  /** One evaluation (see the strategy above); resolves with the notifications it started. */
  evaluate(facts: AlertFacts): AlertNotification[] {
    const started: AlertNotification[] = [];
    const holding = new Set<string>();
    const at = new Date(facts.now).toISOString();
    for (const rule of this.config.rules) {
      for (const c of conditions(rule, facts)) {
        const key = `${rule.name}\0${c.subject}`;
        holding.add(key);
        if (this.firing.has(key)) continue;
        this.firing.set(key, { startsAt: at, condition: c });
        started.push(this.notify(rule, 'firing', c, at, null));
      }
    }
    const rules = new Map(this.config.rules.map((r) => [r.name, r]));
    for (const [key, f] of [...this.firing]) {
      if (holding.has(key)) continue;
      this.firing.delete(key);
      const rule = rules.get(key.split('\0')[0]!);
      if (rule !== undefined) started.push(this.notify(rule, 'resolved', { ...f.condition, message: `resolved: ${f.condition.message}` }, f.startsAt, at));
    }
    return started;
  }

  /** Waits for the deliveries in flight (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private notify(rule: AlertRule, status: 'firing' | 'resolved', c: Condition, startsAt: string, endsAt: string | null): AlertNotification {
    const n: AlertNotification = { status, rule: rule.name, kind: rule.kind, severity: rule.severity, subject: c.subject, message: c.message, value: c.value, threshold: c.threshold, startsAt, endsAt, source: this.o.source ?? 'riffle server' };
    const p = (async () => {
      const deliveries = await Promise.all((rule.channels ?? []).map((name) => deliver(name, this.config.channels[name]!, n, this.o.env, this.o.sleep as never)));
      const record: AlertRecord = { at: new Date().toISOString(), ...n, deliveries };
      try {
        appendFileSync(this.historyFile, `${JSON.stringify(record)}\n`);
      } catch (e) {
        this.o.log?.(`alerts: cannot write ${this.historyFile}: ${e instanceof Error ? e.message : String(e)}`);
      }
      for (const d of deliveries) if (!d.ok) this.o.log?.(`alert ${rule.name} (${c.subject}): delivery to ${d.channel} failed after ${d.attempts} attempts: ${d.error}`);
    })();
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return n;
  }
}

/** The history's records, oldest first (a torn line skipped). */
export function readAlertHistory(file: string): AlertRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: AlertRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as AlertRecord);
    } catch {
      // torn line
    }
  }
  return out;
}
