/** A step's details: its counts, watermark and lag, and plots of its throughput and lag over the polls so far. */
import { useMemo } from 'react';
import type { JobGraph } from '../api/types.ts';
import { KeyValues, Missing } from '../components/common.tsx';
import { TimeSeries } from '../components/TimeSeries.tsx';
import { count, duration, rate, time } from '../lib/format.ts';
import type { StepHistory } from '../jobs/graph-model.ts';

export function StepPanel({ graph, step, history, version }: { graph: JobGraph; step: string; history: StepHistory; version: number }) {
  const s = graph.steps.find((x) => x.name === step);
  const samples = history.samples(step);
  const data = useMemo(() => [
    samples.map((p) => p.t / 1000),
    samples.map((p) => p.rate),
  ], [samples, version]);
  const lag = useMemo(() => [samples.map((p) => p.t / 1000), samples.map((p) => p.lagMs)], [samples, version]);
  if (s === undefined) return null;
  const m = s.metrics;
  const lastLag = samples.length > 0 ? samples[samples.length - 1]!.lagMs : null;
  return (
    <section className="panel step-panel" data-testid="step-panel">
      <h2>{s.name} <small className="muted">{s.kind}</small></h2>
      <KeyValues rows={[
        ['elements in', count(m?.elementsIn)],
        ['elements out', count(m?.elementsOut)],
        ['throughput', rate(history.latestRate(step))],
        ['errors', count(m?.errors)],
        ['dropped late', count(m?.droppedLate)],
        ['watermark', m?.watermark ? time(m.watermark) : '–'],
        ['watermark lag', duration(lastLag)],
      ]} />
      {m === null ? <Missing>This step has no figures yet: the local runner reports per-step counts when the job ends.</Missing> : null}
      {m !== null && m.watermark === null ? <Missing>No watermark: the server does not report per-step watermarks yet.</Missing> : null}
      {samples.length > 1 ? (
        <>
          <TimeSeries title="throughput (elements out/s)" data={data} series={[{ label: 'out/s', stroke: '#1f5fbf', format: (v) => rate(v) }]} width={340} height={130} />
          {samples.some((p) => p.lagMs !== null) ? <TimeSeries title="watermark lag" data={lag} series={[{ label: 'lag', stroke: '#c48a00', format: (v) => duration(v) }]} width={340} height={130} /> : null}
        </>
      ) : <p className="muted small">Plots appear after two polls with figures.</p>}
    </section>
  );
}
