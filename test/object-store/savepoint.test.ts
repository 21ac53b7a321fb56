// Savepoints in an object store: `riffle run --savepoint-dir s3://…` (or az://…) stopped with SIGUSR1 writes its
// savepoint there; `--from-savepoint` with the same URL continues the job on another number of workers with the
// output of an uninterrupted run. A URL with no savepoint under it is refused, naming it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { ObjectStoreCheckpointStorage, openObjectStore } from '../../src/object-store/index.ts';
import { AZURE_SKIP, freshAzureUrl, freshS3Url, S3_SKIP, useTierEnv } from './servers.ts';

useTierEnv();
const root = resolve(import.meta.dirname, '../..');
const cli = join(root, 'src/cli/main.ts');
const pipeline = join(root, 'test/checkpoint/fixtures/rescale-pipeline.ts');
const base = mkdtempSync(join(tmpdir(), 'riffle-os-savepoint-'));
after(() => rmSync(base, { recursive: true, force: true }));

/** `riffle run` of the fixture; with `signal`, SIGUSR1 once its second local checkpoint is complete. */
function riffle(dir: string, args: readonly string[], signal = false): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'run', pipeline, `--output=${dir}/out`, '--no-progress', '--events=4000', '--delayMs=15', ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const marker = join(dir, 'c', 'chk-2', '_metadata');
    const poll = signal
      ? setInterval(() => {
          if (!existsSync(marker)) return;
          clearInterval(poll);
          child.kill('SIGUSR1');
        }, 20)
      : undefined;
    child.on('error', fail);
    child.on('close', (code) => {
      clearInterval(poll);
      done({ code, stderr });
    });
  });
}

function committed(dir: string): string[] {
  const lines: string[] = [];
  for (const sub of ['sums', 'totals']) {
    const d = join(dir, 'out', sub);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) if (!f.startsWith('.')) for (const l of readFileSync(join(d, f), 'utf8').split('\n')) if (l !== '') lines.push(`${sub}: ${l}`);
  }
  return lines.sort();
}

let reference: Promise<string[]> | undefined;
const expected = () =>
  (reference ??= (async () => {
    const r = await riffle(join(base, 'reference'), ['--workers', '1']);
    assert.equal(r.code, 0, r.stderr);
    return committed(join(base, 'reference'));
  })());

for (const [name, fresh, skip] of [['s3', freshS3Url, S3_SKIP], ['azure', freshAzureUrl, AZURE_SKIP]] as const) {
  test(`${name}: SIGUSR1 writes the savepoint to the store; --from-savepoint there continues on 3 workers with the uninterrupted output`, skip ? { skip } : {}, async () => {
    const want = await expected();
    const url = await fresh();
    const dir = join(base, name);
    const first = await riffle(dir, ['--workers', '2', '--checkpoint-dir', join(dir, 'c'), '--checkpoint-interval', '100ms', '--savepoint-dir', url], true);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, new RegExp(`savepoint \\d+ written to ${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/chk-\\d+; the job stops`));
    const ids = await new ObjectStoreCheckpointStorage(openObjectStore(url)).ids();
    assert.equal(ids.length, 1, `one savepoint in the store: ${ids.join(',')}`);
    assert.ok(committed(dir).length < want.length, 'the first run stopped before the end');
    const resumed = await riffle(dir, ['--workers', '3', '--from-savepoint', url]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /resuming from savepoint \d+/);
    assert.deepEqual(committed(dir), want);
    const none = await riffle(join(base, `${name}-none`), ['--workers', '2', '--from-savepoint', await fresh()]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /there is no complete savepoint there/);
  });
}
