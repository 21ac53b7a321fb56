// Schemathesis (PyPI, in a cached venv made by .ci/tiers/server.sh) against `riffle server`'s own OpenAPI document:
// it generates requests for every operation (examples, boundary values, fuzzing, stateful sequences following the
// links it infers) and checks that the server answers no 5xx, only documented status codes and content types, and
// bodies that match the documented schemas. The server runs as `riffle server` in its own process over a project
// with a pipeline and a DAG, seeded with a finished job and a triggered run. Token revocation is left out (it would
// revoke the token the run uses). Runs under RIFFLE_INTEGRATION=1 (the tier); skipped otherwise.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { call, makeProject, waitFor } from '../../../src/server/fixtures/test-server.ts';
import type { RiffleServer } from '../../../src/server/index.ts';

const schemathesis = join(process.env.RIFFLE_CACHE ?? join(homedir(), '.cache', 'riffle'), 'py-schemathesis', 'bin', 'schemathesis');
const required = process.env.RIFFLE_INTEGRATION === '1';
const skip = !required ? 'runs in the server tier (.ci/tiers/server.sh, RIFFLE_INTEGRATION=1)' : false;
const TOKEN = 'schemathesis-admin-token';
const EXAMPLES = process.env.RIFFLE_SCHEMATHESIS_EXAMPLES ?? '10';
// RIFFLE_SCHEMATHESIS_PATHS: only the operations whose path matches this regex (a developer's quick run of some routes).

test('schemathesis finds no server error and no answer off the OpenAPI document', { skip, timeout: 900_000 }, async () => {
  assert.ok(existsSync(schemathesis), `schemathesis is missing at ${schemathesis}: run .ci/tiers/server.sh`);
  const { project, dir, cleanup } = makeProject('server-schemathesis');
  const bin = new URL('../../../bin/riffle.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [bin, 'server', '--port', '0', '--dir', dir, '--project', project, '--json'], { env: { ...process.env, RIFFLE_ADMIN_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
    const server = { url: (JSON.parse(line) as { url: string }).url } as RiffleServer;
    // Something to find: a finished job and a run of the DAG.
    const job = await call<{ id: string }>(server, 'POST', '/api/jobs', { token: TOKEN, body: { pipeline: 'quick.ts', params: { output: 'out/seed' } } });
    assert.equal(job.status, 201, job.text);
    await waitFor(async () => ((await call<{ state: string }>(server, 'GET', `/api/jobs/${job.body.id}`, { token: TOKEN })).body.state === 'succeeded' ? true : undefined), 60_000, 'the seed job');
    assert.equal((await call(server, 'POST', '/api/dags/demo/trigger', { token: TOKEN, body: { logicalDate: '2024-01-01' } })).status, 201);

    const r = spawnSync(schemathesis, [
      'run', new URL('openapi.json', server.url).href, '-H', `Authorization: Bearer ${TOKEN}`,
      '--checks', 'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance',
      '--exclude-path-regex', 'revoke', '--max-examples', EXAMPLES, '--workers', '1', '--seed', '20261207', '--no-color',
      ...(process.env.RIFFLE_SCHEMATHESIS_PATHS ? ['--include-path-regex', process.env.RIFFLE_SCHEMATHESIS_PATHS] : []),
    ], { cwd: dir, encoding: 'utf8', timeout: 840_000 });
    const out = `${r.stdout}\n${r.stderr}`;
    console.log(out.split('\n').filter((l) => l.trim() !== '').slice(-40).join('\n'));
    assert.doesNotMatch(out, /ST101 Server error/, 'a server error');
    assert.equal(r.status, 0, 'schemathesis found failures (above)');
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    cleanup();
  }
});
