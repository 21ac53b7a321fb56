/**
 * A step's details: its counts, throughput, watermark and lag, and plots of its throughput and watermark lag from
 * the server's per-step history (GET /api/jobs/{id}/metrics?step=, about one point a second), polled while the job
 * runs. An ended job's throughput is its average (elements out over the job's duration).
 */
import { useMemo } from 'react';
import { api, query, seg } from '../api/client.ts';
import type { JobGraph, StepHistoryDoc } from '../api/types.ts';
import { ErrorBox, KeyValues, Missing } from '../components/common.tsx';
import { TimeSeries } from '../components/TimeSeries.tsx';
import { backlog, count, duration, rate, time } from '../lib/format.ts';
import { usePoll } from '../lib/use-poll.ts';

export function StepPanel({ jobId, graph, step, active }: { jobId: string; graph: JobGraph; step: string; active: boolean }) {
  const s = graph.steps.find((x) => x.name === step);
  const history = usePoll(() => api<StepHistoryDoc>('GET', `/api/jobs/${seg(jobId)}/metrics${query({ step })}`), active ? 2000 : 0, `metrics:${jobId}:${step}`);
  const points = history.data?.steps.find((h) => h.step === step)?.points ?? [];
  const times = useMemo(() => points.map((p) => Date.parse(p.at) / 1000), [points]);
  const throughput = useMemo(() => [times, points.map((p) => p.outPerSecond), points.map((p) => p.inPerSecond)], [times, points]);
  const lag = useMemo(() => [times, points.map((p) => p.watermarkLagMs)], [times, points]);
  if (s === undefined) return null;
  const m = s.metrics;
  const durationMs = graph.result?.durationMs ?? null;
  const average = m !== null && m.live === false && durationMs !== null && durationMs > 0 ? (m.elementsOut * 1000) / durationMs : null;
  return (
    <section className="panel step-panel" data-testid="step-panel">
      <h2>{s.name} <small className="muted">{s.kind}{m?.live ? ' · live' : m ? ' · final' : ''}</small></h2>
      <KeyValues rows={[
        ['elements in', count(m?.elementsIn)],
        ['elements out', count(m?.elementsOut)],
        [m?.live === false ? 'avg throughput' : 'throughput', average !== null ? rate(average) : rate(m?.outPerSecond)],
        ['errors', count(m?.errors)],
        ['dropped late', count(m?.droppedLate)],
        ['backlog', m?.live ? backlog(m.backlog, m.backlogUnit) : '–'],
        ['watermark', m?.inputEnded ? 'end of input' : m?.watermark ? time(m.watermark) : '–'],
        ['watermark lag', duration(m?.watermarkLagMs ?? null)],
      ]} />
      {m === null ? <Missing>This step has not reported figures yet.</Missing> : null}
      <ErrorBox error={history.error} />
      {points.length > 1 ? (
        <>
          <TimeSeries title="throughput (elements/s)" data={throughput} series={[{ label: 'out/s', stroke: '#1f5fbf', format: (v) => rate(v) }, { label: 'in/s', stroke: '#7c8a9c', format: (v) => rate(v) }]} width={340} height={140} />
          {points.some((p) => p.watermarkLagMs !== null) ? <TimeSeries title="watermark lag" data={lag} series={[{ label: 'lag', stroke: '#c48a00', format: (v) => duration(v) }]} width={340} height={130} /> : <p className="muted small">No watermark lag reported for this step (a bounded input's watermark jumps to its end).</p>}
        </>
      ) : <p className="muted small">{history.loading ? 'loading history…' : 'The server has no history points for this step yet (a point about every second while the job runs).'}</p>}
    </section>
  );
}
