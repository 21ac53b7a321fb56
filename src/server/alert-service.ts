/**
 * The server's alerts: the rules file (`--alerts F`, default DIR/alerts.yaml when it exists) checked when the server
 * starts (a mistake stops it, naming file, line and key), evaluated every `interval` against the jobs, their live
 * step figures, the orchestrator's DAG runs and the quality results store; history in DIR/alerts.jsonl.
 */
import { existsSync } from 'node:fs';
import { AlertEngine, loadAlertRules, readAlertHistory, type AlertConfig, type AlertFacts, type AlertRecord } from '../observe/index.ts';
import type { DagService } from './dag-service.ts';
import type { JobManager } from './job-manager.ts';
import type { QualityService } from './quality-service.ts';

export class AlertService {
  private readonly engine: AlertEngine | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    readonly config: AlertConfig | undefined,
    private readonly historyFile: string,
    private readonly sources: { jobs: JobManager; dags: DagService; quality: QualityService },
    private readonly log: (line: string) => void,
  ) {
    if (config === undefined) return;
    this.engine = new AlertEngine(config, historyFile, { source: 'riffle server', log });
    this.timer = setInterval(() => void this.evaluate(), config.intervalMs);
    this.timer.unref();
  }

  /** Loads the rules file if there is one (`explicit` must exist). */
  static load(file: string | undefined, fallback: string): AlertConfig | undefined {
    if (file !== undefined) return loadAlertRules(file);
    return existsSync(fallback) ? loadAlertRules(fallback) : undefined;
  }

  /** One evaluation now (one at a time); resolves when its deliveries ended. */
  evaluate(): Promise<void> {
    const engine = this.engine;
    if (engine === undefined) return Promise.resolve();
    return (this.running ??= (async () => {
      try {
        engine.evaluate(await this.facts());
        await engine.settle();
      } catch (e) {
        this.log(`alerts: evaluation failed: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        this.running = undefined;
      }
    })());
  }

  active() {
    return this.engine?.active() ?? [];
  }

  history(): AlertRecord[] {
    return readAlertHistory(this.historyFile);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async facts(): Promise<AlertFacts> {
    const lag = new Map<string, number>();
    for (const { job, steps } of this.sources.jobs.liveSteps()) {
      let most: number | null = null;
      for (const p of steps.values()) if (p.watermarkLagMs !== null) most = Math.max(most ?? 0, p.watermarkLagMs);
      if (most !== null) lag.set(job, most);
    }
    const time = (t: string | null) => (t === null ? null : Date.parse(t));
    const jobs = this.sources.jobs.list().map((j) => ({
      id: j.id, pipeline: j.pipeline, state: j.state, startedAt: time(j.startedAt), endedAt: time(j.endedAt), elementsRead: j.counts?.elementsRead ?? 0, deadLetters: j.counts?.deadLetters ?? 0,
      watermarkLagMs: lag.get(j.id) ?? null, reason: j.reason,
    }));
    const needsDags = this.config?.rules.some((r) => r.kind === 'freshness_sla') ?? false;
    return { now: Date.now(), jobs, dagLastSuccess: needsDags ? await this.sources.dags.lastSuccess() : new Map(), quality: await this.sources.quality.latestScores() };
  }
}
