// riffle server: authentication and roles, tokens (also created by the CLI while the server runs), the audit log,
// request validation (400 with the key), path escapes, the OpenAPI document, /metrics and the console page.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { call, makeProject, startTestServer } from './fixtures/test-server.ts';
import type { RiffleServer } from './riffle-server.ts';
import { RIFFLE_BIN } from './riffle-child.ts';

const { project, root, dir, cleanup } = makeProject('server-api');
let server: RiffleServer;
before(async () => {
  server = await startTestServer(project, dir);
});
after(async () => {
  await server.close();
  cleanup();
});

type ErrorBody = { error: { code: string; message: string; key?: string | null; expected?: string | null; file?: string | null } };

async function tokenFor(role: string): Promise<string> {
  const r = await call<{ token: string; record: { id: string; role: string } }>(server, 'POST', '/api/tokens', { body: { role, name: `${role} of the tests` } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.record.role, role);
  return r.body.token;
}

describe('riffle server API', () => {
  it('answers 401 without a token or with an unknown one, and 403 for a role too low', async () => {
    let r = await call<ErrorBody>(server, 'GET', '/api/jobs', { token: null });
    assert.deepEqual([r.status, r.body.error.code, r.headers.get('www-authenticate')], [401, 'UNAUTHENTICATED', 'Bearer realm="riffle"']);
    r = await call<ErrorBody>(server, 'GET', '/api/jobs', { token: 'riffle_not-a-token' });
    assert.deepEqual([r.status, r.body.error.message], [401, 'the bearer token is unknown or revoked']);
    const viewer = await tokenFor('viewer');
    assert.equal((await call(server, 'GET', '/api/jobs', { token: viewer })).status, 200);
    r = await call<ErrorBody>(server, 'POST', '/api/jobs', { token: viewer, body: { pipeline: 'quick.ts', params: { output: 'out' } } });
    assert.deepEqual([r.status, r.body.error.code], [403, 'FORBIDDEN']);
    assert.match(r.body.error.message, /needs the developer role; token tok_\w+ is a viewer/);
    const operator = await tokenFor('operator');
    assert.equal((await call(server, 'POST', '/api/jobs', { token: operator, body: { pipeline: 'quick.ts' } })).status, 403);
    assert.equal((await call(server, 'POST', '/api/jobs/x/cancel', { token: viewer })).status, 403);
    assert.equal((await call(server, 'POST', '/api/jobs/x/cancel', { token: operator })).status, 404, 'an operator may cancel: the job is unknown');
    assert.equal((await call(server, 'POST', '/api/dags/demo/trigger', { token: viewer, body: {} })).status, 403);
    const developer = await tokenFor('developer');
    assert.equal((await call(server, 'GET', '/api/tokens', { token: developer })).status, 403, 'tokens are for admins');
    assert.equal((await call(server, 'POST', '/api/tokens', { token: operator, body: { role: 'admin' } })).status, 403);
    const who = await call<{ id: string; role: string }>(server, 'GET', '/api/whoami', { token: developer });
    assert.deepEqual([who.status, who.body.role], [200, 'developer']);
  });

  it('accepts a token made by `riffle server token create` while it runs, and refuses it once revoked', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [RIFFLE_BIN, 'server', 'token', 'create', '--role', 'viewer', '--dir', dir, '--name', 'cli']);
    const token = stdout.trim().split('\n').at(-1)!;
    assert.match(token, /^riffle_[\w-]{43}$/);
    assert.match(stderr, /created token (tok_\w+) \(role viewer\)/);
    const id = /created token (tok_\w+)/.exec(stderr)![1]!;
    assert.ok(!readFileSync(join(dir, 'tokens.jsonl'), 'utf8').includes(token), 'only the hash is stored');
    const r = await call<{ id: string; role: string; name: string }>(server, 'GET', '/api/whoami', { token });
    assert.deepEqual([r.status, r.body.id, r.body.role, r.body.name], [200, id, 'viewer', 'cli']);
    assert.equal((await call(server, 'POST', `/api/tokens/${id}/revoke`)).status, 200);
    assert.equal((await call(server, 'GET', '/api/whoami', { token })).status, 401);
    assert.equal((await call(server, 'POST', `/api/tokens/${id}/revoke`)).status, 404, 'already revoked');
    const list = await call<{ tokens: Array<{ id: string; revokedAt: string | null }> }>(server, 'GET', '/api/tokens');
    assert.ok(list.body.tokens.find((t) => t.id === id)?.revokedAt);
    assert.ok(!list.text.includes('hash'), 'no hashes in listings');
  });

  it('refuses invalid requests with 400 naming the key and what was expected', async () => {
    let r = await call<ErrorBody>(server, 'POST', '/api/jobs', { body: { pipeline: 'quick.ts', parms: {} } });
    assert.deepEqual([r.status, r.body.error.code, r.body.error.key], [400, 'INVALID_REQUEST', 'parms']);
    r = await call<ErrorBody>(server, 'POST', '/api/jobs', { body: { params: {} } });
    assert.deepEqual([r.status, r.body.error.key], [400, 'pipeline']);
    r = await call<ErrorBody>(server, 'POST', '/api/jobs', { body: { pipeline: 'quick.ts', params: { n: [1] } } });
    assert.deepEqual([r.status, r.body.error.key], [400, 'params.n']);
    r = await call<ErrorBody>(server, 'POST', '/api/jobs', { raw: '{"pipeline": ' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'INVALID_REQUEST');
    r = await call<ErrorBody>(server, 'GET', '/api/jobs?limit=0');
    assert.deepEqual([r.status, r.body.error.key], [400, 'limit']);
    r = await call<ErrorBody>(server, 'GET', '/api/jobs?state=done');
    assert.deepEqual([r.status, r.body.error.key], [400, 'state']);
    r = await call<ErrorBody>(server, 'POST', '/api/jobs', { body: { pipeline: 'quick.ts', params: { workers: 4 } } });
    assert.deepEqual([r.status, r.body.error.code, r.body.error.key, r.body.error.file], [400, 'PARAM_RESERVED', 'params.workers', 'quick.ts']);
    r = await call<ErrorBody>(server, 'POST', '/api/dags/demo/runs/r/mark', { body: { tasks: [], state: 'done' } });
    assert.deepEqual([r.status, r.body.error.key], [400, 'tasks']);
    r = await call<ErrorBody>(server, 'POST', '/api/tokens', { body: { role: 'root' } });
    assert.deepEqual([r.status, r.body.error.key], [400, 'role']);
    r = await call<ErrorBody>(server, 'GET', '/api/nothing');
    assert.deepEqual([r.status, r.body.error.code], [404, 'NOT_FOUND']);
    r = await call<ErrorBody>(server, 'DELETE', '/api/jobs/job-1');
    assert.deepEqual([r.status, r.body.error.code, r.headers.get('allow')], [405, 'METHOD_NOT_ALLOWED', 'GET']);
    r = await call<ErrorBody>(server, 'POST', '/api/dags/demo/runs/r/clear', { body: { tasks: ['a\u0000b'] } });
    assert.deepEqual([r.status, r.body.error.key], [400, 'tasks.0']);
    r = await call<ErrorBody>(server, 'GET', `/api/dags/${encodeURIComponent('de\u0000mo')}/runs`);
    assert.deepEqual([r.status, r.body.error.key], [400, 'dagId']);
  });

  it('refuses pipeline paths that lead out of the project directory', async () => {
    writeFileSync(join(root, 'outside.ts'), 'export default 1;\n');
    symlinkSync(join(root, 'outside.ts'), join(project, 'link.ts'));
    const cases: Array<[string, number, string]> = [
      ['../outside.ts', 400, 'PIPELINE_PATH_ESCAPES'],
      ['link.ts', 400, 'PIPELINE_PATH_ESCAPES'],
      ['dags/../../outside.ts', 400, 'PIPELINE_PATH_ESCAPES'],
      ['nope.ts', 404, 'PIPELINE_NOT_FOUND'],
      ['dags', 400, 'INVALID_REQUEST'], // not a module (the schema's pattern)
      [join(root, 'outside.ts'), 400, 'INVALID_REQUEST'], // absolute (the schema's pattern)
    ];
    for (const [pipeline, status, code] of cases) {
      const r = await call<ErrorBody>(server, 'POST', '/api/jobs', { body: { pipeline } });
      assert.deepEqual([r.status, r.body.error.code, r.body.error.key], [status, code, 'pipeline'], pipeline);
    }
  });

  it('logs every mutating call with who, what, when and the outcome, never a token', async () => {
    const lines = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(lines.length >= 10);
    assert.ok(lines.every((l) => typeof l.at === 'string' && typeof l.method === 'string' && typeof l.status === 'number' && ['ok', 'denied', 'invalid', 'error'].includes(l.outcome as string)));
    assert.ok(lines.some((l) => l.outcome === 'denied' && l.role === 'viewer' && l.route === '/api/jobs' && l.status === 403));
    assert.ok(lines.some((l) => l.outcome === 'ok' && l.route === '/api/tokens' && typeof l.target === 'string' && l.role === 'admin'));
    assert.ok(lines.some((l) => l.outcome === 'invalid' && l.route === '/api/jobs' && l.status === 400));
    assert.ok(!lines.some((l) => l.method === 'GET'), 'reads are not audited');
    assert.ok(!readFileSync(join(dir, 'audit.jsonl'), 'utf8').includes('riffle_'), 'no token in the audit log');
  });

  it('serves the OpenAPI document, /metrics and the console page without a token', async () => {
    const doc = await call<{ openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown }>>; components: { securitySchemes: Record<string, unknown> } }>(server, 'GET', '/openapi.json', { token: null });
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, '3.1.0');
    assert.ok(doc.body.components.securitySchemes.bearer);
    for (const path of ['/api/jobs', '/api/jobs/{id}', '/api/jobs/{id}/cancel', '/api/jobs/{id}/drain', '/api/jobs/{id}/logs', '/api/jobs/{id}/graph', '/api/dags', '/api/dags/{dagId}/runs', '/api/dags/{dagId}/runs/{runId}/tasks', '/api/dags/{dagId}/trigger', '/api/dags/{dagId}/runs/{runId}/clear', '/api/dags/{dagId}/runs/{runId}/mark', '/api/tokens', '/api/lineage']) {
      assert.ok(doc.body.paths[path], path);
      for (const op of Object.values(doc.body.paths[path]!)) assert.ok(op.responses['401'] && op.responses['403'] && op.security, path);
    }
    assert.deepEqual(Object.keys(doc.body.paths['/api/jobs']!).sort(), ['get', 'post']);
    assert.ok(doc.body.paths['/api/jobs']!.post!.responses['201'] && doc.body.paths['/api/jobs']!.post!.responses['400']);
    const metrics = await call(server, 'GET', '/metrics', { token: null });
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(metrics.text, /^riffle_jobs\{state="running"\} 0$/m);
    assert.match(metrics.text, /^riffle_http_requests_total\{method="POST",route="\/api\/jobs",status="403"\} [1-9]/m);
    assert.match(metrics.text, /^riffle_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/jobs"\} \d+/m);
    const page = await call(server, 'GET', '/', { token: null });
    assert.equal(page.status, 200);
    // the built console (console/dist) or, before `npm run build`, the page that lists the jobs (console-assets.test.ts)
    assert.match(page.text, /<title>Riffle (console|server)<\/title>/);
  });
});
