/**
 * A job's dead letters (GET /api/jobs/{id}/dead-letters): counts by step and by reason, a page of records (step,
 * error, element or raw bytes), and replay (developer+) to a new JSON Lines file in the project, optionally
 * submitting the job's pipeline again with one parameter set to that file.
 */
import { useState } from 'react';
import { api, query, seg } from '../api/client.ts';
import type { Job } from '../api/types.ts';
import { ErrorBox } from '../components/common.tsx';
import { canAct, useSession } from '../components/session.ts';
import { count, time } from '../lib/format.ts';
import { href } from '../lib/route.ts';
import { usePoll } from '../lib/use-poll.ts';

interface DeadLetter { index: number; step: string; error: string; time: string | null; element: unknown; raw: string | null; excerpt: boolean }
interface DeadLettersDoc { count: number; byStep: Record<string, number>; byReason: Array<{ reason: string; count: number }>; offset: number; records: DeadLetter[] }

export function DeadLetters({ job }: { job: Job }) {
  const who = useSession();
  const [step, setStep] = useState<string | undefined>(undefined);
  const [output, setOutput] = useState(`replay/${job.id}.jsonl`);
  const [param, setParam] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const [replayError, setReplayError] = useState<unknown>(undefined);
  const doc = usePoll(() => api<DeadLettersDoc>('GET', `/api/jobs/${seg(job.id)}/dead-letters${query({ step, limit: 100 })}`), job.state === 'running' ? 3000 : 0, `dl:${job.id}:${step ?? ''}`);
  const d = doc.data;
  if (d === undefined || d.count === 0) return doc.error ? <ErrorBox error={doc.error} /> : null;

  const replay = async () => {
    setReplayError(undefined);
    setDone(null);
    try {
      const r = await api<{ file: string; records: number; job: Job | null }>('POST', `/api/jobs/${seg(job.id)}/dead-letters/replay`, { body: { output, ...(step ? { step } : {}), ...(param ? { resubmit: { param } } : {}) } });
      setDone(`${r.records} records written to ${r.file}${r.job ? `; job ${r.job.id} submitted` : ''}`);
      if (r.job) location.hash = href({ page: 'job', id: r.job.id });
    } catch (e) {
      setReplayError(e);
    }
  };

  return (
    <section className="panel" data-testid="dead-letters">
      <h2>Dead letters <small className="muted">{count(d.count)} records</small></h2>
      <div className="dl-summary">
        <div><h3>by step</h3>{Object.entries(d.byStep).map(([s, n]) => (
          <button key={s} className={`tab ${step === s ? 'on' : ''}`} onClick={() => setStep(step === s ? undefined : s)}>{s} <small>{n}</small></button>
        ))}</div>
        <div><h3>by reason</h3><table className="grid-table compact"><tbody>{d.byReason.slice(0, 8).map((r) => <tr key={r.reason}><td className="ellipsis small" title={r.reason}>{r.reason}</td><td className="num">{r.count}</td></tr>)}</tbody></table></div>
      </div>
      <table className="grid-table compact">
        <thead><tr><th>#</th><th>step</th><th>error</th><th>time</th><th>record</th></tr></thead>
        <tbody>{d.records.map((r) => (
          <tr key={r.index}>
            <td className="num">{r.index}</td>
            <td className="mono small">{r.step}</td>
            <td className="small bad-text ellipsis" title={r.error}>{r.error}</td>
            <td className="small">{time(r.time)}</td>
            <td className="mono small ellipsis" title={r.raw ?? JSON.stringify(r.element)}>{r.raw !== null ? `bytes (base64) ${r.raw.slice(0, 60)}` : JSON.stringify(r.element)}{r.excerpt ? ' (excerpt)' : ''}</td>
          </tr>
        ))}</tbody>
      </table>
      {canAct(who?.role, 'developer') ? (
        <div className="actions-row">
          <label className="small">replay {step ? `step ${step}` : 'all'} to <input value={output} onChange={(e) => setOutput(e.target.value)} size={36} /></label>
          <label className="small">and resubmit with parameter <input value={param} onChange={(e) => setParam(e.target.value)} placeholder="(none)" size={12} /></label>
          <button onClick={() => void replay()}>Replay</button>
        </div>
      ) : null}
      {done !== null ? <div className="notice ok">{done}</div> : null}
      <ErrorBox error={replayError} />
    </section>
  );
}
