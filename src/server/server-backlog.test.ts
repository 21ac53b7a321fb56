// A running job's read step backlog through the server: a slow read of a Delta table of 4 data files shows, in
// GET /api/jobs/{id}/graph and in /metrics (riffle_step_backlog), the bytes of the files not read yet; a step that
// is not a read has none (null); the figure goes once the job ends.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { create, io, Pipeline } from '../index.ts';
import { call, makeProject, startTestServer, waitFor } from './fixtures/test-server.ts';
import type { RiffleServer } from './riffle-server.ts';

const { project, dir, cleanup } = makeProject('server-backlog');
let server: RiffleServer;
before(async () => {
  for (let k = 0; k < 4; k++) {
    const p = Pipeline.create();
    p.apply(create(Array.from({ length: 600 }, (_x, i) => ({ id: k * 1000 + i })))).apply(io.delta.write(join(project, 'lake', 't'), { schema: { id: 'integer' } }));
    assert.equal((await p.run()).state, 'DONE');
  }
  server = await startTestServer(project, dir);
});
after(async () => {
  await server.close();
  cleanup();
});

type Figures = { backlog: number | null; backlogUnit: string | null; live: boolean };

describe('step backlog through the server', () => {
  it("shows a Delta read's bytes left while the job runs, in the graph and /metrics", async () => {
    const r = await call<{ id: string }>(server, 'POST', '/api/jobs', { body: { pipeline: 'slow-delta.ts', params: { table: 'lake/t', msPerRow: 2 } } });
    assert.equal(r.status, 201, r.text);
    const read = await waitFor(async () => {
      const g = await call<{ steps: Array<{ name: string; metrics: Figures | null }> }>(server, 'GET', `/api/jobs/${r.body.id}/graph`);
      const m = g.body.steps.find((s) => s.name === 'Read')?.metrics;
      const busy = g.body.steps.find((s) => s.name === 'Busy')?.metrics;
      return m?.live && m.backlog !== null && m.backlog > 0 ? { m, busy } : undefined;
    }, 30_000, 'a live backlog of the read step');
    assert.equal(read.m.backlogUnit, 'bytes');
    assert.equal(read.busy?.backlog ?? null, null, 'not a read step: no backlog');
    const scrape = await call(server, 'GET', '/metrics', { token: null });
    assert.match(scrape.text, new RegExp(`^riffle_step_backlog\\{job="${r.body.id}",step="Read",unit="bytes"\\} [1-9]\\d*$`, 'm'));
    await waitFor(async () => ((await call<{ state: string }>(server, 'GET', `/api/jobs/${r.body.id}`)).body.state === 'succeeded' ? true : undefined), 60_000, 'the job to end');
    const g = await call<{ steps: Array<{ name: string; metrics: Figures | null }> }>(server, 'GET', `/api/jobs/${r.body.id}/graph`);
    assert.deepEqual(g.body.steps.find((s) => s.name === 'Read')?.metrics?.backlog, null, 'none once ended');
  });
});
