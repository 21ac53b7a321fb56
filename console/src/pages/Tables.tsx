/**
 * Tables, quality, the bus and dead letters: shown from the server's routes where it has them. The page reads
 * /openapi.json for routes under each area's prefix; a list route (no path parameter) can be opened here and its
 * answer is shown as a table (the first array in the document, one column per field). Areas without routes say so.
 */
import { useState } from 'react';
import { api } from '../api/client.ts';
import { ErrorBox, Missing, PageHeader } from '../components/common.tsx';
import { usePoll } from '../lib/use-poll.ts';
import { rowsOf } from './json-table.ts';

const WANTED: Array<{ area: string; prefix: string; what: string }> = [
  { area: 'Delta tables', prefix: '/api/tables', what: 'history, schema, files and a sample of each table' },
  { area: 'Data quality', prefix: '/api/quality', what: 'suite results, expectations and scores over time' },
  { area: 'Message bus', prefix: '/api/bus', what: 'topics, partitions, subscriptions and their backlog' },
  { area: 'Dead letters', prefix: '/api/jobs/{id}/dead-letters', what: 'rejected records by step, with replay (on each job\'s page)' },
  { area: 'Alerts', prefix: '/api/alerts', what: 'alert rules and recent alerts' },
];

function JsonTable({ path }: { path: string }) {
  const doc = usePoll(() => api<unknown>('GET', path), 10_000, `json:${path}`);
  const { columns, rows, total } = rowsOf(doc.data);
  return (
    <div className="panel">
      <h3 className="mono">GET {path} <small className="muted">{doc.loading ? 'loading…' : `${total} rows`}</small></h3>
      <ErrorBox error={doc.error} />
      {rows.length > 0 ? (
        <div className="scroll-x">
          <table className="grid-table compact" data-testid="json-table">
            <thead><tr>{columns.map((c) => <th key={c}>{c}</th>)}</tr></thead>
            <tbody>{rows.map((r, i) => <tr key={i}>{r.map((v, j) => <td key={j} className="mono small ellipsis" title={v}>{v}</td>)}</tr>)}</tbody>
          </table>
        </div>
      ) : !doc.loading && doc.error === undefined ? <p className="muted">Empty.</p> : null}
    </div>
  );
}

export function Tables() {
  const [open, setOpen] = useState<string | null>(null);
  const doc = usePoll(async () => {
    const res = await fetch('/openapi.json');
    if (!res.ok) throw new Error(`GET /openapi.json: ${res.status}`);
    const paths = ((await res.json()) as { paths?: Record<string, Record<string, unknown>> }).paths ?? {};
    return Object.entries(paths).filter(([, ops]) => 'get' in ops).map(([p]) => p);
  }, 0, 'openapi');
  const paths = doc.data ?? [];
  const anyFound = WANTED.some((w) => paths.some((p) => p.startsWith(w.prefix)));
  return (
    <div className="page">
      <PageHeader title="Tables, bus & alerts" sub="Delta tables, the bus, alerts and the other areas, from the server's routes (quality and dead letters have their own pages)" />
      <ErrorBox error={doc.error} />
      <table className="grid-table" data-testid="routes-table">
        <thead><tr><th>area</th><th>shows</th><th>server routes</th></tr></thead>
        <tbody>
          {WANTED.map((w) => {
            const found = paths.filter((p) => p.startsWith(w.prefix));
            return (
              <tr key={w.area}>
                <td><b>{w.area}</b></td>
                <td>{w.what}</td>
                <td>{found.length > 0 ? found.map((p) => (
                  <div key={p} className="mono small">
                    {p.includes('{') ? p : <a href="#/tables" onClick={(e) => { e.preventDefault(); setOpen(p); }}>{p}</a>}
                  </div>
                )) : <span className="muted">not served yet ({w.prefix}…)</span>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {open !== null ? <JsonTable key={open} path={open} /> : null}
      {!anyFound && !doc.loading ? <Missing>The server has none of these routes yet: this page lists what each area will show and picks the routes up from <a href="/openapi.json">/openapi.json</a> as they appear.</Missing> : null}
    </div>
  );
}
