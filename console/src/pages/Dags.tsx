/** The DAG list: id, schedule, paused, tags, and the latest runs' states (one request per DAG for its runs). */
import { api, query, seg } from '../api/client.ts';
import type { Dag, DagRun } from '../api/types.ts';
import { ErrorBox, PageHeader, StateBadge } from '../components/common.tsx';
import { stateColour } from '../dags/task-states.ts';
import { ago } from '../lib/format.ts';
import { href } from '../lib/route.ts';
import { usePoll } from '../lib/use-poll.ts';

interface DagRow { dag: Dag; runs: DagRun[] }

export function Dags() {
  const dags = usePoll(async (): Promise<DagRow[]> => {
    const { dags } = await api<{ dags: Dag[] }>('GET', '/api/dags');
    return Promise.all(dags.map(async (dag) => ({ dag, runs: (await api<{ runs: DagRun[] }>('GET', `/api/dags/${seg(dag.dagId)}/runs${query({ limit: 14 })}`)).runs })));
  }, 5000, 'dags');
  const rows = dags.data ?? [];
  return (
    <div className="page">
      <PageHeader title="DAGs" sub={`${rows.length} DAGs in the orchestrator's store`} />
      <ErrorBox error={dags.error} />
      <table className="grid-table" data-testid="dag-table">
        <thead><tr><th>DAG</th><th>schedule</th><th>state</th><th>tags</th><th>recent runs</th><th>last run</th><th>file</th></tr></thead>
        <tbody>
          {rows.map(({ dag, runs }) => {
            const last = runs[runs.length - 1];
            return (
              <tr key={dag.dagId}>
                <td><a href={href({ page: 'dag', dagId: dag.dagId })}><b>{dag.dagId}</b></a>{dag.description ? <div className="muted small">{dag.description}</div> : null}</td>
                <td className="mono">{dag.schedule ?? '–'}</td>
                <td>{dag.isPaused ? <span className="badge muted">paused</span> : <span className="badge ok">active</span>}</td>
                <td>{dag.tags.map((t) => <span key={t} className="tag">{t}</span>)}</td>
                <td>
                  <span className="run-dots">{runs.map((r) => <i key={r.runId} title={`${r.runId}: ${r.state}`} style={{ background: stateColour(r.state) }} />)}</span>
                </td>
                <td>{last ? <><StateBadge state={last.state} /> {ago(last.logicalDate)}</> : <span className="muted">never</span>}</td>
                <td className="mono small ellipsis" title={dag.fileloc}>{dag.fileloc}</td>
              </tr>
            );
          })}
          {!dags.loading && rows.length === 0 ? <tr><td colSpan={7} className="muted">No DAGs yet: the store lists a DAG once a scheduler or a <code>riffle dag</code> command has loaded it.</td></tr> : null}
        </tbody>
      </table>
    </div>
  );
}
