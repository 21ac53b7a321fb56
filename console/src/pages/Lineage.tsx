/** The lineage graph: datasets ↔ jobs from the OpenLineage RunEvents the server keeps (GET /api/lineage). */
import { useCallback, useMemo, useState } from 'react';
import { api, query } from '../api/client.ts';
import type { LineageEvent } from '../api/types.ts';
import { ErrorBox, KeyValues, Missing, PageHeader, StateBadge } from '../components/common.tsx';
import { FlowGraph } from '../components/FlowGraph.tsx';
import { ago, count, time } from '../lib/format.ts';
import { usePoll } from '../lib/use-poll.ts';
import type { ElkInput } from '../jobs/graph-model.ts';
import { buildLineage, expandColumns, filterLineage, shortName } from '../lineage/lineage-model.ts';

const MAX_NODES = 300;

export function Lineage() {
  const events = usePoll(() => api<{ events: LineageEvent[] }>('GET', `/api/lineage${query({ limit: 10_000 })}`), 10_000, 'lineage');
  const [selected, setSelected] = useState<string | null>(null);
  const [includeIsolated, setIncludeIsolated] = useState(false);
  const [text, setText] = useState('');
  const [columnLevel, setColumnLevel] = useState(false);
  const all = useMemo(() => buildLineage(events.data?.events ?? []), [events.data]);
  const graph = useMemo(() => {
    const g = filterLineage(all, { includeIsolated, text, max: MAX_NODES });
    return columnLevel ? { ...expandColumns(g), hidden: g.hidden } : g;
  }, [all, includeIsolated, text, columnLevel]);
  const withColumns = all.nodes.filter((n) => n.columns !== undefined).length;
  const isolated = all.nodes.filter((n) => n.kind === 'job' && !all.edges.some((e) => e.from === n.id || e.to === n.id)).length;
  const input: ElkInput = useMemo(() => ({
    id: 'lineage',
    layoutOptions: { 'elk.algorithm': 'layered', 'elk.direction': 'RIGHT', 'elk.layered.spacing.nodeNodeBetweenLayers': '60', 'elk.spacing.nodeNode': '16' },
    children: graph.nodes.map((n) => ({ id: n.id, width: n.kind === 'job' ? 200 : n.kind === 'column' ? 150 : 230, height: n.kind === 'job' ? 48 : n.kind === 'column' ? 28 : 40 })),
    edges: graph.edges.map((e) => ({ id: e.id, sources: [e.from], targets: [e.to] })),
  }), [graph]);
  const look = useCallback((id: string) => {
    const n = graph.nodes.find((x) => x.id === id)!;
    if (n.kind === 'job') {
      const bad = n.state === 'FAIL' || n.state === 'ABORT';
      return {
        className: 'lineage-job',
        style: { background: bad ? '#fde7e6' : '#eaf1fd', borderColor: bad ? '#c9372c' : '#1f5fbf' },
        label: <div className="step-node"><div className="step-name" title={n.name}>⚙ {shortName(n.name)}</div><div className="step-meta"><span>{n.runs} run{n.runs === 1 ? '' : 's'}</span><span>{n.state}</span></div></div>,
      };
    }
    if (n.kind === 'column') {
      return {
        className: 'lineage-column',
        style: { background: '#f6f7f9', borderColor: '#b5bec9', borderRadius: 6 },
        label: <div className="step-node"><div className="step-name mono small" title={`${n.dataset ?? ''} · ${n.name}`}>▸ {n.name}</div></div>,
      };
    }
    return {
      className: 'lineage-dataset',
      style: { background: '#ffffff', borderColor: '#8d99a8', borderRadius: 18 },
      label: <div className="step-node"><div className="step-name" title={`${n.namespace}:${n.name}`}>▤ {shortName(n.name)}</div><div className="step-meta"><span>{n.namespace}</span>{n.columns ? <span>{Object.keys(n.columns.fields).length} columns</span> : null}</div></div>,
    };
  }, [graph]);
  const node = graph.nodes.find((n) => n.id === selected);
  const related = node ? (events.data?.events ?? []).filter((e) => (node.kind === 'job' ? `job:${e.job.namespace}:${e.job.name}` === node.id : [...e.inputs, ...e.outputs].some((d) => `ds:${d.namespace}:${d.name}` === node.id))).slice(-20).reverse() : [];
  return (
    <div className="page">
      <PageHeader
        title="Lineage"
        sub={`${all.nodes.filter((n) => n.kind === 'job').length} jobs and tasks, ${all.nodes.filter((n) => n.kind === 'dataset').length} datasets, from the latest ${count(events.data?.events.length ?? 0)} OpenLineage events`}
        actions={<>
          <input type="search" placeholder="filter by name" value={text} onChange={(e) => setText(e.target.value)} name="lineage-filter" />
          <label className="small"><input type="checkbox" checked={includeIsolated} onChange={(e) => setIncludeIsolated(e.target.checked)} /> jobs and tasks without datasets ({isolated})</label>
          <label className="small"><input type="checkbox" name="column-level" checked={columnLevel} onChange={(e) => setColumnLevel(e.target.checked)} /> column level ({withColumns} datasets)</label>
        </>}
      />
      <ErrorBox error={events.error} />
      <div className="split">
        <section className="panel grow">
          {graph.nodes.length > 0 ? <FlowGraph input={input} look={look} selected={selected} onSelect={setSelected} height={520} /> : <p className="muted">{events.loading ? 'loading…' : all.nodes.length > 0 ? 'Nothing to draw: change the filter.' : 'No lineage events yet: each job run emits them.'}</p>}
          {graph.hidden > 0 ? <p className="muted small">{graph.hidden} nodes not drawn{graph.nodes.length >= MAX_NODES ? ` (at most ${MAX_NODES}: filter by name)` : ''}.</p> : null}
          <Missing>Datasets come from the server's jobs (the files and Delta tables their sources read and sinks write) and from orchestrator tasks that name theirs; columns where the job knows which input fields make them (SQL transforms, rows passed through from a read).</Missing>
        </section>
        {node ? (
          <section className="panel side" data-testid="lineage-panel">
            <h2>{node.kind === 'job' ? 'Job' : 'Dataset'}</h2>
            <KeyValues rows={[['namespace', node.namespace], ['name', <span key="n" className="mono small">{node.name}</span>], ['last event', time(node.lastEventTime)], ...(node.kind === 'job' ? [['runs', String(node.runs)] as [string, string]] : [])]} />
            {node.kind === 'dataset' && node.columns ? (
              <>
                <h3>Columns</h3>
                <table className="grid-table compact" data-testid="lineage-columns"><tbody>{Object.entries(node.columns.fields).map(([field, { inputFields }]) => (
                  <tr key={field}><td className="mono small">{field}</td><td className="small">{(inputFields ?? []).map((i) => `${shortName(i.name)}.${i.field} (${(i.transformations ?? []).map((t) => t.subtype ?? t.type).join(', ')})`).join('; ') || '—'}</td></tr>
                ))}</tbody></table>
                {node.columns.dataset && node.columns.dataset.length > 0 ? <p className="small muted">Rows decided by: {node.columns.dataset.map((i) => `${shortName(i.name)}.${i.field} (${(i.transformations ?? []).map((t) => t.subtype ?? t.type).join(', ')})`).join('; ')}</p> : null}
              </>
            ) : null}
            <h3>Recent events</h3>
            <table className="grid-table compact"><tbody>{related.map((e, i) => <tr key={i}><td><StateBadge state={e.eventType} /></td><td className="mono small ellipsis">{e.job.name}</td><td className="small">{ago(e.eventTime)}</td></tr>)}</tbody></table>
          </section>
        ) : null}
      </div>
    </div>
  );
}
