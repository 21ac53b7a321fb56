// `riffle table write/show/history` with s3:// and az:// table URLs, as a user runs them: credentials from the
// environment, errors as one message with a hint (never a stack trace, never a secret).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { AZURE_SKIP, azureEnv, freshAzureUrl, freshS3Url, S3_SKIP, s3Env } from './servers.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

function riffle(env: NodeJS.ProcessEnv, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const csv = (): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'riffle-cli-os-')), 'in.csv');
  writeFileSync(file, 'id,country,amount\n1,fr,1.5\n2,de,2.25\n3,fr,-4\n');
  return file;
};

for (const [name, fresh, env, skip] of [['s3', freshS3Url, s3Env, S3_SKIP], ['azure', freshAzureUrl, azureEnv, AZURE_SKIP]] as const) {
  test(`${name}: riffle table write, show --json and history at a URL`, skip ? { skip } : {}, async () => {
    const url = await fresh();
    const w = riffle(env(), 'table', 'write', url, '--from', csv());
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stdout, /appended 3 rows/);
    const again = riffle(env(), 'table', 'write', url, '--from', csv());
    assert.equal(again.code, 0, again.stderr);
    const show = riffle(env(), 'table', 'show', url, '--json');
    assert.equal(show.code, 0, show.stderr);
    const shown = JSON.parse(show.stdout) as { version: number; rows: { id: number; country: string; amount: number }[] };
    assert.equal(shown.version, 2);
    assert.deepEqual(shown.rows.map((r) => `${r.id}:${r.country}:${r.amount}`).sort(), ['1:fr:1.5', '1:fr:1.5', '2:de:2.25', '2:de:2.25', '3:fr:-4', '3:fr:-4']);
    const history = riffle(env(), 'table', 'history', url);
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /CREATE TABLE/);
    assert.equal(history.stdout.match(/WRITE/g)?.length, 2);
  });
}

test('s3: configuration errors are one message with a hint, and never print the secret', S3_SKIP ? { skip: S3_SKIP } : {}, async () => {
  const url = await freshS3Url();
  const http = riffle({ ...s3Env(), AWS_ALLOW_HTTP: '', AWS_SECRET_ACCESS_KEY: 'do-not-print-me' }, 'table', 'show', url);
  assert.equal(http.code, 1);
  assert.match(http.stderr, /plain HTTP[\s\S]*AWS_ALLOW_HTTP=true/);
  const down = riffle({ ...s3Env(), AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_SECRET_ACCESS_KEY: 'do-not-print-me' }, 'table', 'show', url);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /could not be reached/);
  const missing = riffle(s3Env(), 'table', 'show', url);
  assert.match(missing.stderr, /is not a Delta table/);
  for (const r of [http, down, missing]) {
    assert.ok(!r.stderr.includes('do-not-print-me') && !r.stderr.includes('riffle-test-secret'), r.stderr);
    assert.ok(!/\n\s+at /.test(r.stderr), `no stack trace: ${r.stderr}`);
  }
});
