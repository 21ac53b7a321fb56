/** The job list: state, pipeline, times, counts, newest first, filtered by state; the submit form for developers. */
import { useMemo, useState } from 'react';
import { api, query } from '../api/client.ts';
import type { Job, JobState } from '../api/types.ts';
import { ErrorBox, PageHeader, StateBadge } from '../components/common.tsx';
import { canAct, useSession } from '../components/session.ts';
import { ago, between, count, duration, time } from '../lib/format.ts';
import { href } from '../lib/route.ts';
import { usePoll } from '../lib/use-poll.ts';
import { SubmitJob } from './SubmitJob.tsx';

const STATES: Array<JobState | 'all'> = ['all', 'running', 'pending', 'draining', 'succeeded', 'failed', 'cancelled'];

export function Jobs() {
  const who = useSession();
  const [state, setState] = useState<JobState | 'all'>('all');
  const [showSubmit, setShowSubmit] = useState(false);
  const jobs = usePoll(() => api<{ jobs: Job[] }>('GET', `/api/jobs${query({ limit: 500 })}`), 2000, 'jobs');
  const list = jobs.data?.jobs ?? [];
  const byState = useMemo(() => {
    const m: Record<string, number> = {};
    for (const j of list) m[j.state] = (m[j.state] ?? 0) + 1;
    return m;
  }, [list]);
  const shown = state === 'all' ? list : list.filter((j) => j.state === state);

  return (
    <div className="page">
      <PageHeader
        title="Jobs"
        sub={<>{list.length} jobs · {byState.running ?? 0} running · {byState.failed ?? 0} failed</>}
        actions={canAct(who?.role, 'developer') ? <button className="primary" onClick={() => setShowSubmit(!showSubmit)}>{showSubmit ? 'Close' : 'Submit a job'}</button> : undefined}
      />
      {showSubmit ? <SubmitJob onSubmitted={(job) => { jobs.reload(); location.hash = href({ page: 'job', id: job.id }); }} /> : null}
      <div className="filters" role="tablist">
        {STATES.map((s) => (
          <button key={s} className={s === state ? 'tab on' : 'tab'} onClick={() => setState(s)}>
            {s} <small>{s === 'all' ? list.length : (byState[s] ?? 0)}</small>
          </button>
        ))}
      </div>
      <ErrorBox error={jobs.error} />
      <table className="grid-table" data-testid="job-table">
        <thead>
          <tr><th>job</th><th>pipeline</th><th>state</th><th>submitted</th><th>started</th><th className="num">duration</th><th className="num">read</th><th className="num">processed</th><th className="num">dead letters</th><th>reason</th></tr>
        </thead>
        <tbody>
          {shown.map((j) => (
            <tr key={j.id} data-job={j.id}>
              <td><a href={href({ page: 'job', id: j.id })} className="mono">{j.id}</a></td>
              <td className="mono ellipsis" title={j.pipeline}>{j.pipeline}</td>
              <td><StateBadge state={j.state} /></td>
              <td title={time(j.createdAt)}>{ago(j.createdAt)}</td>
              <td>{time(j.startedAt)}</td>
              <td className="num">{duration(between(j.startedAt, j.endedAt))}</td>
              <td className="num">{count(j.counts?.elementsRead)}</td>
              <td className="num">{count(j.counts?.elementsProcessed)}</td>
              <td className={`num ${(j.counts?.deadLetters ?? 0) > 0 ? 'warn' : ''}`}>{count(j.counts?.deadLetters)}</td>
              <td className="ellipsis muted" title={j.reason ?? ''}>{j.reason ?? ''}</td>
            </tr>
          ))}
          {!jobs.loading && shown.length === 0 ? <tr><td colSpan={10} className="muted">No jobs{state !== 'all' ? ` in state ${state}` : ''}.</td></tr> : null}
        </tbody>
      </table>
    </div>
  );
}
