/**
 * A DAG's grid: its latest runs (columns) × its tasks (rows), coloured by state as in Airflow's grid view, drawn on
 * a canvas; click a cell for the task instance (details, log, clear/mark). The runs and their task instances come
 * from one request (GET /api/dags/{dag}/grid).
 */
import { useMemo, useState } from 'react';
import { api, query, seg } from '../api/client.ts';
import type { Dag, DagRun, TaskInstance } from '../api/types.ts';
import { ErrorBox, Missing, PageHeader, StateBadge, TaskStateChip } from '../components/common.tsx';
import { canAct, useSession } from '../components/session.ts';
import { buildGrid, runSummary } from '../dags/grid-model.ts';
import { TASK_STATES } from '../dags/task-states.ts';
import { time } from '../lib/format.ts';
import { href } from '../lib/route.ts';
import { usePoll } from '../lib/use-poll.ts';
import { GridCanvas, type Picked } from './GridCanvas.tsx';
import { TaskPanel } from './TaskPanel.tsx';

const RUNS = [10, 25, 50, 100];

interface GridData { dag: Dag | undefined; runs: DagRun[]; instances: Map<string, TaskInstance[]>; loadMs: number }

export function DagGrid({ dagId }: { dagId: string }) {
  const who = useSession();
  const [limit, setLimit] = useState(25);
  // The pick is a (task, run), not a cell: rows move when a cleared task loses its start time.
  const [pick, setPick] = useState<{ taskId: string; runId: string } | null>(null);
  const [triggerError, setTriggerError] = useState<unknown>(undefined);
  // A grid that takes the server long to answer is polled less often.
  const [interval, setInterval_] = useState(5000);
  const data = usePoll(async (): Promise<GridData> => {
    const started = performance.now();
    // One request for the whole grid (runs × task instances), not one per run.
    const [dags, answer] = await Promise.all([
      api<{ dags: Dag[] }>('GET', '/api/dags'),
      api<{ runs: DagRun[]; instances: Record<string, TaskInstance[]> }>('GET', `/api/dags/${seg(dagId)}/grid${query({ limit })}`),
    ]);
    const loadMs = performance.now() - started;
    setInterval_(Math.min(60_000, Math.max(5000, Math.ceil((loadMs * 5) / 5000) * 5000)));
    return { dag: dags.dags.find((d) => d.dagId === dagId), runs: answer.runs, instances: new Map(answer.runs.map((r) => [r.runId, answer.instances[r.runId] ?? []])), loadMs };
  }, interval, `grid:${dagId}:${limit}`);

  const grid = useMemo(() => (data.data ? buildGrid(data.data.runs, data.data.instances) : null), [data.data]);
  const picked: Picked | null = useMemo(() => {
    if (grid === null || pick === null) return null;
    const row = grid.tasks.indexOf(pick.taskId);
    const col = grid.runs.findIndex((r) => r.runId === pick.runId);
    return row < 0 || col < 0 ? null : { row, col };
  }, [grid, pick]);
  const pickedRun = grid && picked ? grid.runs[picked.col] : undefined;
  const pickedTask = grid && picked ? grid.tasks[picked.row] : undefined;
  const summary = grid && grid.runs.length > 0 ? runSummary(grid, picked?.col ?? grid.runs.length - 1) : {};

  const trigger = async () => {
    setTriggerError(undefined);
    try {
      await api('POST', `/api/dags/${seg(dagId)}/trigger`, { body: {} });
      data.reload();
    } catch (e) {
      setTriggerError(e);
    }
  };
  const dag = data.data?.dag;
  return (
    <div className="page">
      <PageHeader
        title={<><a href={href({ page: 'dags' })} className="crumb">DAGs</a> / {dagId}</>}
        sub={dag ? <>{dag.schedule ?? 'no schedule'} · {dag.timezone} · {dag.isPaused ? 'paused' : 'active'}{grid ? ` · ${grid.tasks.length} tasks` : ''}{data.data ? ` · loaded in ${Math.round(data.data.loadMs)} ms` : ''}</> : null}
        actions={<>
          <label className="small">runs <select value={limit} onChange={(e) => setLimit(Number(e.target.value))}>{RUNS.map((n) => <option key={n} value={n}>{n}</option>)}</select></label>
          {canAct(who?.role, 'operator') ? <button onClick={() => void trigger()}>Trigger run</button> : null}
        </>}
      />
      <ErrorBox error={data.error} />
      <ErrorBox error={triggerError} />
      <div className="legend small">{TASK_STATES.filter((s) => s !== 'removed').map((s) => <TaskStateChip key={s} state={s} />)}</div>
      <div className="split">
        <section className="panel grow" data-testid="grid-panel" data-load-ms={data.data ? Math.round(data.data.loadMs) : undefined}>
          {grid === null ? <p className="muted">loading…</p> : grid.runs.length === 0 ? <p className="muted">No runs yet.</p> : (
            <>
              <GridCanvas grid={grid} picked={picked} onPick={(p) => setPick(p === null ? null : { taskId: grid.tasks[p.row]!, runId: grid.runs[p.col]!.runId })} />
              <div className="small run-line">
                {pickedRun ?? grid.runs[grid.runs.length - 1] ? (() => {
                  const r = pickedRun ?? grid.runs[grid.runs.length - 1]!;
                  return <>run <span className="mono">{r.runId}</span> <StateBadge state={r.state} /> {time(r.startDate)} → {time(r.endDate)} · {Object.entries(summary).map(([s, n]) => `${n} ${s}`).join(', ')} · <a href={href({ page: 'gantt', dagId, runId: r.runId })}>Gantt</a></>;
                })() : null}
              </div>
            </>
          )}
          <Missing>Rows are ordered by first start time: the server does not expose a DAG's task dependencies yet (a <code>GET /api/dags/{'{dag}'}/tasks</code> route would let the grid order tasks topologically and show groups).</Missing>
        </section>
        {pickedRun && pickedTask && data.data ? <TaskPanel run={pickedRun} taskId={pickedTask} instances={data.data.instances.get(pickedRun.runId) ?? []} onChanged={data.reload} /> : null}
      </div>
    </div>
  );
}
