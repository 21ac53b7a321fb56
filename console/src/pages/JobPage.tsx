/**
 * One job: its state and counts, cancel and drain (operators and up, while it runs), the live job graph (ELK
 * layout; steps coloured by throughput or watermark lag; click a step for its details and plots), and its log.
 */
import { useCallback, useMemo, useRef, useState } from 'react';
import { api, seg } from '../api/client.ts';
import type { Job, JobGraph } from '../api/types.ts';
import { ErrorBox, KeyValues, Missing, PageHeader, StateBadge } from '../components/common.tsx';
import { FlowGraph } from '../components/FlowGraph.tsx';
import { TimeSeries } from '../components/TimeSeries.tsx';
import { canAct, useSession } from '../components/session.ts';
import { ago, backlog, between, count, duration, rate, time } from '../lib/format.ts';
import { href } from '../lib/route.ts';
import { usePoll } from '../lib/use-poll.ts';
import { elkInput, StepHistory, stepLook } from '../jobs/graph-model.ts';
import { DeadLetters } from './DeadLetters.tsx';
import { JobLogs } from './JobLogs.tsx';
import { StepPanel } from './StepPanel.tsx';

const ACTIVE = new Set(['pending', 'running', 'draining']);

export function JobPage({ id }: { id: string }) {
  const who = useSession();
  const history = useRef(new StepHistory(300));
  const [version, setVersion] = useState(0);
  const [selected, setSelected] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(undefined);
  const job = usePoll(() => api<Job>('GET', `/api/jobs/${seg(id)}`), 1500, `job:${id}`);
  const active = job.data === undefined || ACTIVE.has(job.data.state);
  const graph = usePoll(async () => {
    const g = await api<JobGraph>('GET', `/api/jobs/${seg(id)}/graph`);
    history.current.add(g, Date.now());
    setVersion((v) => v + 1);
    return g;
  }, active ? 1500 : 0, `graph:${id}`);

  const g = graph.data;
  const input = useMemo(() => elkInput(g ?? { steps: [], edges: [] }), [g === undefined ? '' : JSON.stringify([g.steps.map((s) => s.name), g.edges])]);
  // A running job's steps by their live rate; an ended job's by their average over the run (elements out / duration).
  const rateOf = useCallback((name: string): number | null => {
    const m = g?.steps.find((x) => x.name === name)?.metrics;
    if (m && m.live === false && g?.result && g.result.durationMs > 0) return (m.elementsOut * 1000) / g.result.durationMs;
    return history.current.latestRate(name);
  }, [g, version]);
  const maxRate = g === undefined ? 0 : Math.max(0, ...g.steps.map((s) => rateOf(s.name) ?? 0));
  const look = useCallback((name: string) => {
    const s = g?.steps.find((x) => x.name === name);
    const m = s?.metrics;
    const r = rateOf(name);
    const l = stepLook(m ?? null, r, maxRate, history.current.latestLag(name));
    return {
      className: `step-${l.reason}`,
      style: { background: l.fill, borderColor: l.border },
      label: (
        <div className="step-node" data-step={name}>
          <div className="step-name" title={name}>{name}</div>
          <div className="step-meta"><span>{s?.kind}</span><span>{m ? `${count(m.elementsIn)} → ${count(m.elementsOut)}` : ''}</span>{r !== null ? <span>{m?.live ? '' : 'avg '}{rate(r)}</span> : null}{m && m.errors > 0 ? <b className="bad-text">{count(m.errors)} err</b> : null}{m?.live && m.backlog !== null && m.backlog !== undefined ? <span title="backlog: left to read">⧗ {backlog(m.backlog, m.backlogUnit)}</span> : null}</div>
        </div>
      ),
    };
  }, [g, maxRate, rateOf, version]);

  const act = async (op: 'cancel' | 'drain') => {
    setActionError(undefined);
    try {
      await api('POST', `/api/jobs/${seg(id)}/${op}`);
      job.reload();
    } catch (e) {
      setActionError(e);
    }
  };

  const j = job.data;
  const jobRates = history.current.jobRates();
  const rateData = useMemo(() => [jobRates.map((r) => r.t / 1000), jobRates.map((r) => r.rate)], [version]);
  const liveStepFigures = g?.steps.some((s) => s.metrics !== null) ?? false;
  return (
    <div className="page">
      <PageHeader
        title={<><a href={href({ page: 'jobs' })} className="crumb">Jobs</a> / <span className="mono">{id}</span></>}
        sub={j ? <><StateBadge state={j.state} /> <span className="mono">{j.pipeline}</span> · submitted {ago(j.createdAt)}</> : null}
        actions={j && ACTIVE.has(j.state) && canAct(who?.role, 'operator') ? (
          <>
            <button onClick={() => void act('drain')} disabled={j.state === 'draining'} title="stop reading, fire windows, commit sinks">Drain</button>
            <button className="danger" onClick={() => void act('cancel')}>Cancel</button>
          </>
        ) : undefined}
      />
      <ErrorBox error={job.error} />
      <ErrorBox error={actionError} />
      {j ? (
        <KeyValues rows={[
          ['state', <StateBadge key="s" state={j.state} />],
          ['started', time(j.startedAt)],
          ['ended', time(j.endedAt)],
          ['duration', duration(between(j.startedAt, j.endedAt))],
          ['read', count(j.counts?.elementsRead)],
          ['processed', count(j.counts?.elementsProcessed)],
          ['dead letters', count(j.counts?.deadLetters)],
          ACTIVE.has(j.state)
            ? ['rate', rate(jobRates.length > 0 ? jobRates[jobRates.length - 1]!.rate : null)]
            : ['avg rate', rate(j.counts && between(j.startedAt, j.endedAt) ? (j.counts.elementsProcessed * 1000) / between(j.startedAt, j.endedAt)! : null)],
          ['exit', j.exitCode !== null ? String(j.exitCode) : (j.signal ?? '–')],
          ['params', <code key="p" className="small">{JSON.stringify(j.params)}</code>],
          ...(j.reason ? [['reason', j.reason] as [string, string]] : []),
        ]} />
      ) : null}
      <div className="split">
        <section className="panel grow">
          <h2>Job graph <small className="muted">{g ? `${g.steps.length} steps` : ''}{g?.result ? ` · ${g.result.state.toLowerCase()} in ${duration(g.result.durationMs)}` : g?.progress ? ` · ${g.progress.phase} · ${g.progress.sourcesDone}/${g.progress.sources} sources done` : ''} · click a step for its figures</small></h2>
          <ErrorBox error={graph.error} />
          {g && g.steps.length > 0 ? <FlowGraph input={input} look={look} selected={selected} onSelect={setSelected} height={Math.min(520, Math.max(300, 120 + 40 * g.steps.length))} /> : <p className="muted">{graph.loading ? 'loading…' : 'The job has not reported its graph yet.'}</p>}
          <div className="legend small">
            <span><i style={{ background: 'hsl(214 80% 65%)' }} /> busiest step</span><span><i style={{ background: 'hsl(214 80% 92%)' }} /> less busy</span>
            <span><i style={{ background: '#e3f4e8' }} /> lag &lt; 10 s</span><span><i style={{ background: '#fff3d6' }} /> lag &lt; 1 min</span><span><i style={{ background: '#fde7e6' }} /> errors / lag ≥ 1 min</span><span><i style={{ background: '#f4f5f7' }} /> no figures</span>
          </div>
          {j && ACTIVE.has(j.state) && !liveStepFigures ? <Missing>No per-step figures yet: the steps are coloured from the first report (about a second after the job starts).</Missing> : null}
          {jobRates.some((r) => r.rate !== null && r.rate > 0) ? <TimeSeries title="job throughput (elements processed/s)" data={rateData} series={[{ label: 'processed/s', stroke: '#1f5fbf', format: (v) => rate(v) }]} width={520} height={130} /> : null}
        </section>
        {selected !== null && g ? <StepPanel jobId={id} graph={g} step={selected} active={active} /> : null}
      </div>
      {j && (j.counts?.deadLetters ?? 0) > 0 ? <DeadLetters job={j} /> : null}
      <JobLogs jobId={id} />
    </div>
  );
}
