import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { href, parseRoute, type Route } from './route.ts';

describe('console routes', () => {
  it('parses what href writes, ids with slashes and colons included', () => {
    const routes: Route[] = [
      { page: 'login' }, { page: 'jobs' }, { page: 'job', id: 'job-20261207T160000Z-1a2b3c' }, { page: 'dags' }, { page: 'dag', dagId: 'daily etl' },
      { page: 'gantt', dagId: 'etl', runId: 'manual__2026-12-07T00:00:00.000Z/x' }, { page: 'lineage' }, { page: 'quality' }, { page: 'tables' },
    ];
    for (const r of routes) assert.deepEqual(parseRoute(href(r)), r, href(r));
  });
  it('sends unknown or empty hashes to the job list', () => {
    assert.deepEqual(parseRoute(''), { page: 'jobs' });
    assert.deepEqual(parseRoute('#/nowhere/else'), { page: 'jobs' });
    assert.deepEqual(parseRoute('#/dags/etl/other'), { page: 'dag', dagId: 'etl' });
    assert.deepEqual(parseRoute('#/jobs/%E0%A4%A'), { page: 'job', id: '%E0%A4%A' });
  });
});
