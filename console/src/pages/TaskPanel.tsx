/**
 * A task instance picked in the grid: its details, its attempts' logs, and clear / mark success / mark failed
 * (operators and up; optionally with its downstream tasks), through the server's `riffle dag` operations.
 */
import { useEffect, useState, type ReactNode } from 'react';
import { api, query, seg } from '../api/client.ts';
import type { DagRun, TaskInstance, TaskLog } from '../api/types.ts';
import { ErrorBox, KeyValues, TaskStateChip } from '../components/common.tsx';
import { canAct, useSession } from '../components/session.ts';
import { duration, time } from '../lib/format.ts';
import { href } from '../lib/route.ts';

export function TaskPanel({ run, taskId, instances, onChanged }: { run: DagRun; taskId: string; instances: TaskInstance[]; onChanged: () => void }) {
  const who = useSession();
  const mine = instances.filter((t) => t.taskId === taskId).sort((a, b) => a.mapIndex - b.mapIndex);
  const [mapIndex, setMapIndex] = useState(mine[0]?.mapIndex ?? -1);
  const ti = mine.find((t) => t.mapIndex === mapIndex) ?? mine[0];
  const [attempt, setAttempt] = useState<number | undefined>(undefined);
  const [log, setLog] = useState<TaskLog | null>(null);
  const [logError, setLogError] = useState<unknown>(undefined);
  const [actionError, setActionError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | null>(null);
  const [downstream, setDownstream] = useState(false);
  const [busy, setBusy] = useState(false);
  const base = `/api/dags/${seg(run.dagId)}/runs/${seg(run.runId)}`;

  useEffect(() => {
    setAttempt(undefined);
    setDone(null);
    setActionError(undefined);
  }, [run.runId, taskId]);

  useEffect(() => {
    let live = true;
    setLog(null);
    setLogError(undefined);
    if (ti === undefined || ti.tryNumber === 0) return;
    api<TaskLog>('GET', `${base}/tasks/${seg(taskId)}/logs${query({ try: attempt, mapIndex: ti.mapIndex })}`).then((l) => live && setLog(l), (e: unknown) => live && setLogError(e));
    return () => {
      live = false;
    };
  }, [base, taskId, ti?.mapIndex, ti?.tryNumber, attempt]);

  const change = async (op: 'clear' | 'success' | 'failed') => {
    setBusy(true);
    setActionError(undefined);
    setDone(null);
    try {
      if (op === 'clear') await api('POST', `${base}/clear`, { body: { tasks: [taskId], downstream } });
      else await api('POST', `${base}/mark`, { body: { tasks: [taskId], state: op, downstream } });
      setDone(op === 'clear' ? 'cleared: the scheduler runs it again' : `marked ${op}`);
      onChanged();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };

  if (ti === undefined) return null;
  return (
    <section className="panel task-panel" data-testid="task-panel">
      <h2>{taskId} <small className="muted mono">{run.runId}</small></h2>
      {mine.length > 1 ? (
        <label className="small">map index{' '}
          <select value={mapIndex} onChange={(e) => setMapIndex(Number(e.target.value))}>{mine.map((t) => <option key={t.mapIndex} value={t.mapIndex}>{t.mapIndex} · {t.state}</option>)}</select>
        </label>
      ) : null}
      <KeyValues rows={[
        ['state', <TaskStateChip key="s" state={ti.state} />],
        ['try', `${ti.tryNumber} of ${ti.maxTries}`],
        ['started', time(ti.startDate)],
        ['ended', time(ti.endDate)],
        ['duration', duration(ti.duration)],
        ['pool', ti.pool ?? '–'],
        ['host', ti.hostname ?? '–'],
        ...(ti.error ? [['error', <span key="e" className="bad-text">{ti.error}</span>] as [string, ReactNode]] : []),
      ]} />
      {canAct(who?.role, 'operator') ? (
        <div className="actions-row">
          <button onClick={() => void change('clear')} disabled={busy} data-action="clear">Clear</button>
          <button onClick={() => void change('success')} disabled={busy} data-action="mark-success">Mark success</button>
          <button onClick={() => void change('failed')} disabled={busy} className="danger" data-action="mark-failed">Mark failed</button>
          <label className="small"><input type="checkbox" checked={downstream} onChange={(e) => setDownstream(e.target.checked)} /> downstream too</label>
        </div>
      ) : null}
      {done !== null ? <div className="notice ok" data-testid="task-action-done">{done}</div> : null}
      <ErrorBox error={actionError} />
      <h3>Log {ti.tryNumber > 1 ? (
        <select value={attempt ?? ti.tryNumber} onChange={(e) => setAttempt(Number(e.target.value))} className="small">
          {Array.from({ length: ti.tryNumber }, (_, i) => i + 1).map((n) => <option key={n} value={n}>attempt {n}</option>)}
        </select>
      ) : null}</h3>
      <ErrorBox error={logError} />
      {ti.tryNumber === 0 ? <p className="muted">It has not run yet.</p> : <pre className="log short" data-testid="task-log">{log === null ? 'loading…' : log.log === '' ? '(empty)' : log.log}</pre>}
      <a href={href({ page: 'gantt', dagId: run.dagId, runId: run.runId })}>Gantt of this run →</a>
    </section>
  );
}
