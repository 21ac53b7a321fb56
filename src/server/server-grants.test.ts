// Per-namespace grants: a token limited to namespaces sees and acts on jobs and DAGs of those only (403 for others,
// lists filtered), is refused calls that span namespaces (lineage, alerts, quality, tokens), and may submit only
// into its namespaces; a token without namespaces sees everything.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, makeProject, startTestServer, waitFor } from './fixtures/test-server.ts';
import type { JobRecord } from './job-record.ts';
import type { RiffleServer } from './riffle-server.ts';

const { project, dir, cleanup } = makeProject('server-grants');
let server: RiffleServer;
before(async () => {
  server = await startTestServer(project, dir);
});
after(async () => {
  await server.close();
  cleanup();
});

const token = async (role: string, namespaces?: string[]) => (await call<{ token: string; record: { namespaces: string[] | null } }>(server, 'POST', '/api/tokens', { body: { role, ...(namespaces ? { namespaces } : {}) } })).body;
const ended = (id: string) => waitFor(async () => ((await call<JobRecord>(server, 'GET', `/api/jobs/${id}`)).body.state === 'succeeded' ? true : undefined), 60_000, `job ${id}`);

describe('per-namespace grants', () => {
  it('limit a token to its namespaces', async () => {
    const teamA = await token('developer', ['team-a']);
    assert.deepEqual(teamA.record.namespaces, ['team-a']);
    const adminA = await token('admin', ['team-a']);
    const everyone = await token('viewer');

    const mine = await call<JobRecord>(server, 'POST', '/api/jobs', { token: teamA.token, body: { pipeline: 'quick.ts', namespace: 'team-a', params: { output: 'out/a' } } });
    assert.equal(mine.status, 201, mine.text);
    assert.equal(mine.body.namespace, 'team-a');
    const other = await call<JobRecord>(server, 'POST', '/api/jobs', { body: { pipeline: 'quick.ts', params: { output: 'out/d' } } });
    assert.deepEqual([other.status, other.body.namespace], [201, 'default']);
    await ended(mine.body.id);
    await ended(other.body.id);

    const refused = await call<{ error: { code: string } }>(server, 'POST', '/api/jobs', { token: teamA.token, body: { pipeline: 'quick.ts', params: { output: 'out/x' } } });
    assert.deepEqual([refused.status, refused.body.error.code], [403, 'FORBIDDEN_NAMESPACE']);
    assert.equal((await call(server, 'POST', '/api/jobs', { token: teamA.token, body: { pipeline: 'quick.ts', namespace: 'team-b', params: { output: 'out/x' } } })).status, 403);
    assert.equal((await call(server, 'POST', '/api/jobs', { body: { pipeline: 'quick.ts', namespace: 'bad name!', params: { output: 'out/x' } } })).status, 400);

    const listA = await call<{ jobs: JobRecord[] }>(server, 'GET', '/api/jobs', { token: teamA.token });
    assert.deepEqual(listA.body.jobs.map((j) => j.id), [mine.body.id]);
    const listAll = await call<{ jobs: JobRecord[] }>(server, 'GET', '/api/jobs', { token: everyone.token });
    assert.equal(listAll.body.jobs.length, 2);
    for (const path of [`/api/jobs/${other.body.id}`, `/api/jobs/${other.body.id}/graph`, `/api/jobs/${other.body.id}/logs`, `/api/jobs/${other.body.id}/metrics`, `/api/jobs/${other.body.id}/dead-letters`]) {
      assert.equal((await call(server, 'GET', path, { token: teamA.token })).status, 403, path);
      assert.equal((await call(server, 'GET', path, { token: everyone.token })).status, 200, path);
    }
    assert.equal((await call(server, 'GET', `/api/jobs/${mine.body.id}/graph`, { token: teamA.token })).status, 200);
    assert.equal((await call(server, 'POST', `/api/jobs/${other.body.id}/cancel`, { token: teamA.token })).status, 403);
    for (const path of ['/api/lineage', '/api/alerts', '/api/quality/suites', '/api/tables', '/api/bus/topics']) assert.equal((await call(server, 'GET', path, { token: teamA.token })).status, 403, path);
    assert.equal((await call(server, 'POST', '/api/tokens', { token: adminA.token, body: { role: 'admin' } })).status, 403, 'a namespaced admin cannot mint tokens');
    assert.equal((await call(server, 'POST', '/api/tokens', { body: { role: 'viewer', namespaces: ['a b'] } })).status, 400);
  });

  it('apply to DAGs by their namespace tag (default without one)', async () => {
    const teamA = await token('operator', ['team-a']);
    const r = await call(server, 'POST', '/api/dags/demo/trigger', { body: { logicalDate: '2024-03-01' } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual((await call<{ dags: unknown[] }>(server, 'GET', '/api/dags', { token: teamA.token })).body.dags, []);
    assert.equal((await call(server, 'GET', '/api/dags/demo/runs', { token: teamA.token })).status, 403);
    assert.equal((await call(server, 'POST', '/api/dags/demo/pause', { token: teamA.token, body: { paused: true } })).status, 403);
    assert.equal((await call(server, 'GET', '/api/dags/demo/runs')).status, 200);
  });
});
