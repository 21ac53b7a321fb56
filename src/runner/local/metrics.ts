import type { MetricsContext, PipelineMetrics, StepMetrics } from '../../model/index.ts';

interface Distribution {
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** The metric cells of a job. User metrics are named `<step>/<name>`. Cells are created once and then updated in place. */
export class MetricsRegistry {
  private readonly counters = new Map<string, { value: number }>();
  private readonly distributions = new Map<string, Distribution>();
  private readonly gauges = new Map<string, { value: number }>();

  counter(name: string): { value: number } {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = { value: 0 }));
    return c;
  }

  /** A MetricsContext for user functions of one step. Cells are cached per name. */
  forStep(step: string): MetricsContext {
    const counters = new Map<string, { inc(n?: number): void }>();
    const dists = new Map<string, { update(v: number): void }>();
    const gauges = new Map<string, { set(v: number): void }>();
    return {
      counter: (name) => {
        let h = counters.get(name);
        if (!h) {
          const cell = this.counter(`${step}/${name}`);
          counters.set(name, (h = { inc: (n = 1) => void (cell.value += n) }));
        }
        return h;
      },
      distribution: (name) => {
        let h = dists.get(name);
        if (!h) {
          const key = `${step}/${name}`;
          let cell = this.distributions.get(key);
          if (!cell) this.distributions.set(key, (cell = { count: 0, sum: 0, min: Infinity, max: -Infinity }));
          const c = cell;
          dists.set(
            name,
            (h = {
              update: (v: number) => {
                c.count++;
                c.sum += v;
                if (v < c.min) c.min = v;
                if (v > c.max) c.max = v;
              },
            }),
          );
        }
        return h;
      },
      gauge: (name) => {
        let h = gauges.get(name);
        if (!h) {
          const key = `${step}/${name}`;
          let cell = this.gauges.get(key);
          if (!cell) this.gauges.set(key, (cell = { value: 0 }));
          const c = cell;
          gauges.set(name, (h = { set: (v: number) => void (c.value = v) }));
        }
        return h;
      },
    };
  }

  snapshot(steps: StepMetrics[]): PipelineMetrics {
    const counters: Record<string, number> = {};
    for (const [k, v] of this.counters) counters[k] = v.value;
    const distributions: PipelineMetrics['distributions'] = {};
    for (const [k, d] of this.distributions) {
      (distributions as Record<string, unknown>)[k] = { count: d.count, sum: d.sum, min: d.count ? d.min : 0, max: d.count ? d.max : 0, mean: d.count ? d.sum / d.count : 0 };
    }
    const gauges: Record<string, number> = {};
    for (const [k, v] of this.gauges) gauges[k] = v.value;
    return { steps, counters, distributions, gauges };
  }
}
