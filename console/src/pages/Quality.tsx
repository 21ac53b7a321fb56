/**
 * Data quality: the suites with stored validation results (latest outcome and score), a suite's results over time
 * (success % plotted), and one result's expectations (type, column, outcome, observed value) from the stored
 * Great Expectations JSON. GET /api/quality/suites, /suites/{suite}/results, /result?path=.
 */
import { useMemo, useState } from 'react';
import { api, query, seg } from '../api/client.ts';
import { ErrorBox, Missing, PageHeader, StateBadge } from '../components/common.tsx';
import { TimeSeries } from '../components/TimeSeries.tsx';
import { ago, count, time } from '../lib/format.ts';
import { usePoll } from '../lib/use-poll.ts';
import { expectationRows } from './quality-model.ts';

interface Suite { suite: string; results: number; latest: { runTime: string; success: boolean; successPercent: number | null } | null }
interface Stats { evaluated_expectations: number; successful_expectations: number; unsuccessful_expectations: number; success_percent: number | null }
interface Result { suite: string; runName: string; runTime: string; asset: string; success: boolean; statistics: Stats; rowCount: number; path: string }

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${v.toFixed(v === 100 || v === 0 ? 0 : 1)}%`);

function ResultDetail({ path }: { path: string }) {
  const doc = usePoll(() => api<Record<string, unknown>>('GET', `/api/quality/result${query({ path })}`), 0, `result:${path}`);
  const rows = useMemo(() => expectationRows(doc.data), [doc.data]);
  return (
    <section className="panel" data-testid="quality-result">
      <h2>Expectations <small className="muted mono">{path}</small></h2>
      <ErrorBox error={doc.error} />
      <table className="grid-table compact">
        <thead><tr><th>outcome</th><th>expectation</th><th>column</th><th>observed</th><th className="num">unexpected</th></tr></thead>
        <tbody>{rows.map((r, i) => (
          <tr key={i}>
            <td><StateBadge state={r.success ? 'success' : 'failed'} /></td>
            <td className="mono small">{r.type}</td>
            <td className="mono small">{r.column ?? ''}</td>
            <td className="mono small ellipsis" title={r.observed}>{r.observed}</td>
            <td className="num">{r.unexpected ?? ''}</td>
          </tr>
        ))}</tbody>
      </table>
    </section>
  );
}

function SuiteResults({ suite }: { suite: string }) {
  const [open, setOpen] = useState<string | null>(null);
  const results = usePoll(() => api<{ results: Result[] }>('GET', `/api/quality/suites/${seg(suite)}/results${query({ limit: 200 })}`), 15_000, `suite:${suite}`);
  const list = results.data?.results ?? [];
  const chart = useMemo(() => {
    const oldestFirst = [...list].reverse();
    return [oldestFirst.map((r) => Date.parse(r.runTime) / 1000), oldestFirst.map((r) => r.statistics.success_percent)];
  }, [list]);
  return (
    <>
      <section className="panel">
        <h2>{suite} <small className="muted">{list.length} results</small></h2>
        <ErrorBox error={results.error} />
        {list.length > 1 ? <TimeSeries title="success % over time" data={chart} series={[{ label: 'success', stroke: '#1e8e3e', format: (v) => pct(v) }]} width={640} height={150} /> : null}
        <table className="grid-table compact" data-testid="quality-results">
          <thead><tr><th>run</th><th>asset</th><th>outcome</th><th className="num">success</th><th className="num">expectations</th><th className="num">failed</th><th className="num">rows</th><th /></tr></thead>
          <tbody>{list.map((r) => (
            <tr key={r.path} className={open === r.path ? 'picked' : ''}>
              <td title={r.runName}>{time(r.runTime)} <span className="muted small">{ago(r.runTime)}</span></td>
              <td className="mono small ellipsis" title={r.asset}>{r.asset}</td>
              <td><StateBadge state={r.success ? 'success' : 'failed'} /></td>
              <td className="num">{pct(r.statistics.success_percent)}</td>
              <td className="num">{r.statistics.evaluated_expectations}</td>
              <td className={`num ${r.statistics.unsuccessful_expectations > 0 ? 'warn' : ''}`}>{r.statistics.unsuccessful_expectations}</td>
              <td className="num">{count(r.rowCount)}</td>
              <td><a href="#/quality" onClick={(e) => { e.preventDefault(); setOpen(r.path); }}>expectations</a></td>
            </tr>
          ))}</tbody>
        </table>
      </section>
      {open !== null ? <ResultDetail key={open} path={open} /> : null}
    </>
  );
}

export function Quality() {
  const [suite, setSuite] = useState<string | null>(null);
  const suites = usePoll(() => api<{ suites: Suite[] }>('GET', '/api/quality/suites'), 15_000, 'suites');
  const list = suites.data?.suites ?? [];
  return (
    <div className="page">
      <PageHeader title="Data quality" sub={`${list.length} suites with stored validation results`} />
      <ErrorBox error={suites.error} />
      <table className="grid-table" data-testid="quality-suites">
        <thead><tr><th>suite</th><th className="num">results</th><th>latest</th><th className="num">success</th><th>when</th></tr></thead>
        <tbody>
          {list.map((s) => (
            <tr key={s.suite}>
              <td><a href="#/quality" onClick={(e) => { e.preventDefault(); setSuite(s.suite); }}><b>{s.suite}</b></a></td>
              <td className="num">{s.results}</td>
              <td>{s.latest ? <StateBadge state={s.latest.success ? 'success' : 'failed'} /> : '–'}</td>
              <td className="num">{pct(s.latest?.successPercent)}</td>
              <td>{s.latest ? ago(s.latest.runTime) : '–'}</td>
            </tr>
          ))}
          {!suites.loading && list.length === 0 ? <tr><td colSpan={5} className="muted">No validation results stored yet (<code>riffle quality validate</code> stores them).</td></tr> : null}
        </tbody>
      </table>
      {suite !== null ? <SuiteResults key={suite} suite={suite} /> : null}
      <Missing>Data docs pages are at <code>GET /api/quality/docs</code>; profiles and contracts are not served yet.</Missing>
    </div>
  );
}
