/** A run's Gantt chart: one bar per started task instance on the run's time axis (SVG), queued time lighter. */
import { api, seg } from '../api/client.ts';
import type { DagRun, TaskInstance } from '../api/types.ts';
import { ErrorBox, PageHeader, StateBadge } from '../components/common.tsx';
import { buildGantt, ticks } from '../dags/gantt-model.ts';
import { stateColour } from '../dags/task-states.ts';
import { duration, time } from '../lib/format.ts';
import { href } from '../lib/route.ts';
import { usePoll } from '../lib/use-poll.ts';

const ROW = 18;
const LABEL = 240;
const WIDTH = 1000;

export function Gantt({ dagId, runId }: { dagId: string; runId: string }) {
  const data = usePoll(() => api<{ run: DagRun; tasks: TaskInstance[] }>('GET', `/api/dags/${seg(dagId)}/runs/${seg(runId)}/tasks`), 5000, `gantt:${dagId}:${runId}`);
  const d = data.data;
  const model = d ? buildGantt(d.run, d.tasks) : null;
  const span = model ? model.to - model.from : 1;
  const x = (t: number) => LABEL + ((t - (model?.from ?? 0)) / span) * (WIDTH - LABEL - 10);
  const height = model ? 28 + model.bars.length * ROW : 0;
  return (
    <div className="page">
      <PageHeader
        title={<><a href={href({ page: 'dags' })} className="crumb">DAGs</a> / <a href={href({ page: 'dag', dagId })} className="crumb">{dagId}</a> / <span className="mono">{runId}</span></>}
        sub={d ? <><StateBadge state={d.run.state} /> {time(d.run.startDate)} → {time(d.run.endDate)} · {model?.bars.length} started, {model?.notStarted} not started</> : null}
      />
      <ErrorBox error={data.error} />
      {model ? (
        <section className="panel">
          <div className="gantt-scroll">
            <svg width={WIDTH} height={height} data-testid="gantt" className="gantt">
              {ticks(model.from, model.to).map((t) => (
                <g key={t}>
                  <line x1={x(model.from + t)} x2={x(model.from + t)} y1={20} y2={height} stroke="#eef0f3" />
                  <text x={x(model.from + t)} y={12} textAnchor="middle" className="axis">+{duration(t)}</text>
                </g>
              ))}
              {model.bars.map((b, i) => {
                const y = 24 + i * ROW;
                return (
                  <g key={`${b.label}-${i}`}>
                    <text x={6} y={y + ROW / 2 + 1} className="label">{b.label.length > 34 ? `${b.label.slice(0, 33)}…` : b.label}</text>
                    {b.queued !== null ? <rect x={x(b.queued)} y={y + 4} width={Math.max(1, x(b.start) - x(b.queued))} height={ROW - 8} fill={stateColour(b.state)} opacity={0.25} /> : null}
                    <rect x={x(b.start)} y={y + 3} width={Math.max(2, x(b.end) - x(b.start))} height={ROW - 6} rx={2} fill={stateColour(b.state)}>
                      <title>{`${b.label}: ${b.state}, ${time(new Date(b.start).toISOString())} → ${b.running ? 'running' : time(new Date(b.end).toISOString())} (${duration(b.end - b.start)})`}</title>
                    </rect>
                  </g>
                );
              })}
            </svg>
          </div>
        </section>
      ) : <p className="muted">loading…</p>}
    </div>
  );
}
