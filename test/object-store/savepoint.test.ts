// Savepoints in an object store: `riffle run --savepoint-dir s3://…` (or az://…) stopped with SIGUSR1 writes its
// savepoint there; `--from-savepoint` with the same URL continues the job on another number of workers with the
// output of an uninterrupted run. A URL with no savepoint under it is refused, naming it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { committed, runFixture, uninterrupted } from '../checkpoint/rescale-runs.ts';
import { ObjectStoreCheckpointStorage, openObjectStore } from '../../src/object-store/index.ts';
import { AZURE_SKIP, freshAzureUrl, freshS3Url, S3_SKIP, useTierEnv } from './servers.ts';

useTierEnv();
const base = mkdtempSync(join(tmpdir(), 'riffle-os-savepoint-'));
after(() => rmSync(base, { recursive: true, force: true }));

for (const [name, fresh, skip] of [['s3', freshS3Url, S3_SKIP], ['azure', freshAzureUrl, AZURE_SKIP]] as const) {
  test(`${name}: SIGUSR1 writes the savepoint to the store; --from-savepoint there continues on 3 workers with the uninterrupted output`, skip ? { skip } : {}, async () => {
    const want = await uninterrupted(base);
    const url = await fresh();
    const dir = join(base, name);
    const first = await runFixture(dir, ['--workers', '2', '--checkpoint-dir', join(dir, 'c'), '--checkpoint-interval', '100ms', '--savepoint-dir', url], { signal: 'SIGUSR1' });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, new RegExp(`savepoint \\d+ written to ${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/chk-\\d+; the job stops`));
    const ids = await new ObjectStoreCheckpointStorage(openObjectStore(url)).ids();
    assert.equal(ids.length, 1, `one savepoint in the store: ${ids.join(',')}`);
    assert.ok(committed(dir).length < want.length, 'the first run stopped before the end');
    const resumed = await runFixture(dir, ['--workers', '3', '--from-savepoint', url]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /resuming from savepoint \d+/);
    assert.deepEqual(committed(dir), want);
    const none = await runFixture(join(base, `${name}-none`), ['--workers', '2', '--from-savepoint', await fresh()]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /there is no complete savepoint there/);
  });
}
