/**
 * The figures of one fused stage's bundle, reported as MonitoringInfos in its ProcessBundleResponse (and in progress
 * responses while it runs): elements per PCollection and the user metrics of each step's functions (the
 * `MetricsContext` a DoFn gets). Figures are per bundle — the runner sums bundles — so they restart at each bundle.
 * @example
 *   const metrics = new BundleMetrics();
 *   const counted = metrics.counting('pc-3', emit);      // counts what goes into PCollection pc-3
 *   const ctx = metrics.forStep('pardo-3', 'Enrich');    // ctx.counter('hits').inc()
 *   response.monitoringInfos = metrics.monitoringInfos(); metrics.reset();
 */
import type { MetricsContext } from '../../model/index.ts';
import type { MonitoringInfo } from './gen/pipeline/v1/metrics_pb.ts';
import { elementCountInfo, userCounterInfo, userDistributionInfo, userGaugeInfo, type UserMetricName } from './monitoring-infos.ts';

interface Cells {
  readonly name: UserMetricName;
  counter?: { value: number };
  distribution?: { count: number; sum: number; min: number; max: number };
  gauge?: { value: number; at: number };
}

export class BundleMetrics {
  private readonly elements = new Map<string, { n: number }>();
  private readonly user = new Map<string, Cells>();

  /** Wraps a PCollection's delivery so that every element through it is counted. */
  counting<A extends unknown[], R>(pcollection: string, deliver: (...args: A) => R): (...args: A) => R {
    let cell = this.elements.get(pcollection);
    if (cell === undefined) this.elements.set(pcollection, (cell = { n: 0 }));
    const c = cell;
    return (...args: A) => {
      c.n++;
      return deliver(...args);
    };
  }

  private cells(transform: string, step: string, name: string): Cells {
    const id = `${transform}\u0000${name}`;
    let cells = this.user.get(id);
    if (cells === undefined) this.user.set(id, (cells = { name: { transform, step, name } }));
    return cells;
  }

  /** The metrics context of one step's functions (user metrics named after the step, as the embedded engine's). */
  forStep(transform: string, step: string): MetricsContext {
    return {
      counter: (name) => {
        const cells = this.cells(transform, step, name);
        return { inc: (n = 1) => void ((cells.counter ??= { value: 0 }).value += n) };
      },
      distribution: (name) => {
        const cells = this.cells(transform, step, name);
        return {
          update: (v: number) => {
            const d = (cells.distribution ??= { count: 0, sum: 0, min: Infinity, max: -Infinity });
            d.count++;
            d.sum += v;
            if (v < d.min) d.min = v;
            if (v > d.max) d.max = v;
          },
        };
      },
      gauge: (name) => {
        const cells = this.cells(transform, step, name);
        return { set: (v: number) => void (cells.gauge = { value: v, at: Date.now() }) };
      },
    };
  }

  /** The bundle's figures so far. */
  monitoringInfos(): MonitoringInfo[] {
    const out: MonitoringInfo[] = [];
    for (const [pc, c] of this.elements) if (c.n > 0) out.push(elementCountInfo(pc, c.n));
    for (const cells of this.user.values()) {
      if (cells.counter !== undefined) out.push(userCounterInfo(cells.name, cells.counter.value));
      if (cells.distribution !== undefined && cells.distribution.count > 0) out.push(userDistributionInfo(cells.name, cells.distribution));
      if (cells.gauge !== undefined) out.push(userGaugeInfo(cells.name, cells.gauge.value, cells.gauge.at));
    }
    return out;
  }

  /** Starts the next bundle's figures from zero. */
  reset(): void {
    for (const c of this.elements.values()) c.n = 0;
    for (const cells of this.user.values()) {
      delete cells.counter;
      delete cells.distribution;
      delete cells.gauge;
    }
  }
}
