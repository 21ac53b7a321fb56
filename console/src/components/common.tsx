/** Small shared pieces: state badges, error boxes, key/value lists, a page header. */
import type { ReactNode } from 'react';
import { ApiError } from '../api/client.ts';
import { stateColour } from '../dags/task-states.ts';

const JOB_STATE_CLASS: Record<string, string> = {
  succeeded: 'ok', success: 'ok', COMPLETE: 'ok', failed: 'bad', FAIL: 'bad', ABORT: 'muted', cancelled: 'muted',
  running: 'run', draining: 'run', pending: 'wait', queued: 'wait', START: 'run', RUNNING: 'run',
};

export function StateBadge({ state }: { state: string }) {
  return <span className={`badge ${JOB_STATE_CLASS[state] ?? 'muted'}`} data-state={state}>{state}</span>;
}

/** A task state as a coloured square and its name (the grid's legend and the task panel). */
export function TaskStateChip({ state }: { state: string }) {
  return (
    <span className="chip" data-state={state}>
      <i style={{ background: stateColour(state) }} />
      {state.replace(/_/g, ' ')}
    </span>
  );
}

export function ErrorBox({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  if (error instanceof ApiError) {
    const b = error.body;
    return (
      <div className="error" role="alert">
        <b>{b.code}</b>
        {b.key ? <> at <code data-key={b.key}>{b.key}</code></> : null}: {b.message}
        {b.expected ? <div>expected: {b.expected}</div> : null}
        {b.hint ? <div className="hint">{b.hint}</div> : null}
      </div>
    );
  }
  return <div className="error" role="alert">{error instanceof Error ? error.message : String(error)}</div>;
}

/** A note about something the server does not offer yet (the console shows what exists). */
export function Missing({ children }: { children: ReactNode }) {
  return <div className="missing">{children}</div>;
}

export function KeyValues({ rows }: { rows: Array<[string, ReactNode]> }) {
  return (
    <dl className="kv">
      {rows.map(([k, v]) => (
        <div key={k}><dt>{k}</dt><dd>{v}</dd></div>
      ))}
    </dl>
  );
}

export function PageHeader({ title, sub, actions }: { title: ReactNode; sub?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {sub !== undefined ? <div className="sub">{sub}</div> : null}
      </div>
      {actions !== undefined ? <div className="actions">{actions}</div> : null}
    </header>
  );
}
