/**
 * The console's pages as hash routes (`#/jobs/<id>`): the server serves one page at `/`, and the API's paths stay
 * the API's. `parseRoute` and `href` are inverses; unknown hashes go to the job list.
 */
export type Route =
  | { page: 'login' }
  | { page: 'jobs' }
  | { page: 'job'; id: string }
  | { page: 'dags' }
  | { page: 'dag'; dagId: string }
  | { page: 'gantt'; dagId: string; runId: string }
  | { page: 'lineage' }
  | { page: 'quality' }
  | { page: 'tables' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter((p) => p !== '').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const [head, a, b, c] = parts;
  switch (head) {
    case 'login': return { page: 'login' };
    case 'jobs': return a !== undefined ? { page: 'job', id: a } : { page: 'jobs' };
    case 'dags':
      if (a === undefined) return { page: 'dags' };
      if (b === 'runs' && c !== undefined) return { page: 'gantt', dagId: a, runId: c };
      return { page: 'dag', dagId: a };
    case 'lineage': return { page: 'lineage' };
    case 'quality': return { page: 'quality' };
    case 'tables': return { page: 'tables' };
    default: return { page: 'jobs' };
  }
}

export function href(r: Route): string {
  const e = encodeURIComponent;
  switch (r.page) {
    case 'login': return '#/login';
    case 'jobs': return '#/jobs';
    case 'job': return `#/jobs/${e(r.id)}`;
    case 'dags': return '#/dags';
    case 'dag': return `#/dags/${e(r.dagId)}`;
    case 'gantt': return `#/dags/${e(r.dagId)}/runs/${e(r.runId)}`;
    case 'lineage': return '#/lineage';
    case 'quality': return '#/quality';
    case 'tables': return '#/tables';
  }
}
