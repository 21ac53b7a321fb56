// Checkpoints in an object store: a job whose task fails restarts from its latest checkpoint kept on moto S3 (or
// Azurite) and gives the output of an uninterrupted run; only complete checkpoints are left, at most the retained 3.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalRunner, Pipeline, type LocalRunOptions } from '../../src/index.ts';
import { ObjectStoreCheckpointStorage, openObjectStore } from '../../src/object-store/index.ts';
import definition from '../checkpoint/fixtures/kill-pipeline.ts';
import { AZURE_SKIP, freshAzureUrl, freshS3Url, S3_SKIP, useTierEnv } from './servers.ts';

useTierEnv();

/** Every published line under `dir` (dot files are unpublished), sorted. */
function published(dir: string): string[] {
  const lines: string[] = [];
  if (!existsSync(dir)) return lines;
  for (const sub of readdirSync(dir, { withFileTypes: true })) {
    const d = sub.isDirectory() ? join(dir, sub.name) : dir;
    for (const f of sub.isDirectory() ? readdirSync(d) : [sub.name]) {
      if (f.startsWith('.')) continue;
      for (const l of readFileSync(join(d, f), 'utf8').split('\n')) if (l !== '') lines.push(`${sub.name}: ${l}`);
    }
  }
  return lines.sort();
}

async function runFixture(output: string, params: Record<string, unknown>, options: LocalRunOptions = {}) {
  const p = Pipeline.create();
  await definition.build(p, definition.parseParams({ output, delayMs: '0', ...params } as never));
  return new LocalRunner().run(p.graph, { workers: 1, ...options, pipelineModule: { path: 'test/checkpoint/fixtures/kill-pipeline.ts', params: {} } });
}

for (const [name, fresh, skip] of [['s3', freshS3Url, S3_SKIP], ['azure', freshAzureUrl, AZURE_SKIP]] as const) {
  test(`${name}: a failed task restarts from the latest checkpoint kept in the store, same output as an uninterrupted run`, skip ? { skip } : {}, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riffle-os-ckpt-'));
    try {
      await runFixture(join(dir, 'ref'), { events: '2000' });
      const want = published(join(dir, 'ref'));
      assert.ok(want.length > 100);
      const url = await fresh();
      const storage = new ObjectStoreCheckpointStorage(openObjectStore(url));
      const log: string[] = [];
      const r = await runFixture(join(dir, 'out'), { events: '2000', failAt: '1500', delayMs: '1' }, {
        checkpointDir: url, checkpointStorage: storage, checkpointIntervalMs: 20, restart: { kind: 'fixed-delay', maxRestarts: 1, delayMs: 10 }, log: (m) => log.push(m),
      });
      assert.equal(r.state, 'DONE');
      assert.ok(log.some((m) => /resuming from checkpoint \d+/.test(m)), log.join('\n'));
      assert.deepEqual(published(join(dir, 'out')), want);
      const ids = await storage.ids();
      assert.ok(ids.length >= 1 && ids.length <= 3, `retained: ${ids.join(',')}`);
      for (const id of ids) assert.ok(await storage.readMetadata(id), `checkpoint ${id} is complete`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
