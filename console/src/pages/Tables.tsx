/**
 * Tables and quality: shown from the server's routes when it has them. Today's server has none for Delta tables,
 * quality results or the bus (another part of the server work adds them); the page says so and what each will show,
 * and lists the routes it looked for in /openapi.json, so that it lights up as soon as they exist.
 */
import { ErrorBox, Missing, PageHeader } from '../components/common.tsx';
import { usePoll } from '../lib/use-poll.ts';

const WANTED: Array<{ area: string; prefix: string; what: string }> = [
  { area: 'Delta tables', prefix: '/api/tables', what: 'history, schema, files and a sample of each table' },
  { area: 'Data quality', prefix: '/api/quality', what: 'suite results, expectations and scores over time' },
  { area: 'Message bus', prefix: '/api/bus', what: 'topics, partitions, subscriptions and their backlog' },
  { area: 'Dead letters', prefix: '/api/dead-letters', what: 'rejected records by step, with replay' },
];

export function Tables() {
  const doc = usePoll(async () => {
    const res = await fetch('/openapi.json');
    if (!res.ok) throw new Error(`GET /openapi.json: ${res.status}`);
    return Object.keys(((await res.json()) as { paths?: Record<string, unknown> }).paths ?? {});
  }, 0, 'openapi');
  const paths = doc.data ?? [];
  return (
    <div className="page">
      <PageHeader title="Tables & quality" sub="Delta tables, quality results, the bus and dead letters" />
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
                <td>{found.length > 0 ? found.map((p) => <div key={p} className="mono small">{p}</div>) : <span className="muted">not served yet ({w.prefix}…)</span>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <Missing>The server has no table, quality, bus or dead-letter routes yet: this page lists what it will show and which routes exist in <a href="/openapi.json">/openapi.json</a>.</Missing>
    </div>
  );
}
