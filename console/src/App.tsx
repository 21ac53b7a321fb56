/** The console's frame: the login gate, the navigation, and the page of the current hash route. */
import { useEffect, useState } from 'react';
import { api, getToken, onUnauthenticated, setToken } from './api/client.ts';
import type { TokenRecord } from './api/types.ts';
import { SessionContext } from './components/session.ts';
import { href, parseRoute, type Route } from './lib/route.ts';
import { DagGrid } from './pages/DagGrid.tsx';
import { Dags } from './pages/Dags.tsx';
import { Gantt } from './pages/Gantt.tsx';
import { JobPage } from './pages/JobPage.tsx';
import { Jobs } from './pages/Jobs.tsx';
import { Lineage } from './pages/Lineage.tsx';
import { Login } from './pages/Login.tsx';
import { Quality } from './pages/Quality.tsx';
import { Tables } from './pages/Tables.tsx';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

const NAV: Array<{ label: string; route: Route; pages: Route['page'][] }> = [
  { label: 'Jobs', route: { page: 'jobs' }, pages: ['jobs', 'job'] },
  { label: 'DAGs', route: { page: 'dags' }, pages: ['dags', 'dag', 'gantt'] },
  { label: 'Lineage', route: { page: 'lineage' }, pages: ['lineage'] },
  { label: 'Quality', route: { page: 'quality' }, pages: ['quality'] },
  { label: 'Tables, bus & alerts', route: { page: 'tables' }, pages: ['tables'] },
];

export function App() {
  const route = useRoute();
  const [who, setWho] = useState<TokenRecord | null>(null);
  const [checking, setChecking] = useState(getToken() !== null);
  const [reason, setReason] = useState<string | null>(null);

  useEffect(() => {
    onUnauthenticated(() => {
      setWho(null);
      setReason('The server did not accept the token (unknown, revoked, or the session ended): sign in again.');
    });
    if (getToken() !== null) {
      api<TokenRecord>('GET', '/api/whoami').then(setWho, () => undefined).finally(() => setChecking(false));
    }
  }, []);

  if (checking) return <div className="muted pad">…</div>;
  if (who === null) return <Login reason={reason} onLogin={(w) => { setWho(w); setReason(null); if (route.page === 'login') location.hash = href({ page: 'jobs' }); }} />;

  const signOut = () => {
    setToken(null);
    setWho(null);
    setReason(null);
  };
  return (
    <SessionContext.Provider value={who}>
      <div className="app">
        <nav className="top">
          <a className="brand" href={href({ page: 'jobs' })}>riffle<span>console</span></a>
          {NAV.map((n) => <a key={n.label} href={href(n.route)} className={n.pages.includes(route.page) ? 'on' : ''}>{n.label}</a>)}
          <span className="spacer" />
          <a href="/openapi.json" className="muted small">API</a>
          <a href="/metrics" className="muted small">metrics</a>
          <span className="who small" data-testid="who">{who.name ?? who.id} · <b>{who.role}</b></span>
          <button className="link" onClick={signOut}>Sign out</button>
        </nav>
        <main>
          {route.page === 'jobs' || route.page === 'login' ? <Jobs /> : null}
          {route.page === 'job' ? <JobPage key={route.id} id={route.id} /> : null}
          {route.page === 'dags' ? <Dags /> : null}
          {route.page === 'dag' ? <DagGrid key={route.dagId} dagId={route.dagId} /> : null}
          {route.page === 'gantt' ? <Gantt dagId={route.dagId} runId={route.runId} /> : null}
          {route.page === 'lineage' ? <Lineage /> : null}
          {route.page === 'quality' ? <Quality /> : null}
          {route.page === 'tables' ? <Tables /> : null}
        </main>
      </div>
    </SessionContext.Provider>
  );
}
