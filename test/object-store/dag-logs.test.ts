// Orchestrator task logs in an object store (project setting remoteLogFolder, here $RIFFLE_REMOTE_LOG_FOLDER): a
// backfill's scheduler uploads each ended attempt's log to moto S3 / Azurite; `riffle dag logs` prints it; a store
// without the log text (cleaned, another host's) reads the uploaded one; a bad setting is one clear error.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { exitCodeOf } from '../../src/cli/cli-error.ts';
import type { CliIO } from '../../src/cli/cli-io.ts';
import { dagCommand } from '../../src/cli/dag-command.ts';
import { openObjectStore } from '../../src/object-store/index.ts';
import { JournalStore, RemoteLogFolder, withRemoteLogs, type MetadataStore } from '../../src/orchestrator/index.ts';
import { AZURE_SKIP, freshAzureUrl, freshS3Url, S3_SKIP, useTierEnv } from './servers.ts';

useTierEnv();

const INDEX = JSON.stringify(new URL('../../src/orchestrator/index.ts', import.meta.url).href);

async function riffleDag(root: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => void out.push(t), err: (t) => void err.push(t), progress: { isTTY: false, write: () => undefined }, env, cwd: root };
  let status: number;
  try {
    status = await dagCommand([...args, '--dags', join(root, 'dags'), '--store', join(root, 'store')], io);
  } catch (e) {
    err.push((e as Error).message);
    status = exitCodeOf(e);
  }
  return { status, out: out.join('\n'), err: err.join('\n') };
}

for (const [name, fresh, skip] of [['s3', freshS3Url, S3_SKIP], ['azure', freshAzureUrl, AZURE_SKIP]] as const) {
  test(`${name}: task logs are uploaded when attempts end and read back from the store`, skip ? { skip } : {}, async () => {
    const root = mkdtempSync(join(tmpdir(), 'riffle-os-dag-logs-'));
    try {
      const folder = await fresh();
      mkdirSync(join(root, 'dags'));
      writeFileSync(join(root, 'dags', 'package.json'), '{"type":"module"}');
      writeFileSync(join(root, 'dags', 'shipped.ts'), `import { dag } from ${INDEX};
export const d = dag({ id: 'shipped', schedule: '@daily', startDate: '2024-01-01' });
d.task('say', ({ log, logicalDate }) => { log('hello from', logicalDate.toISOString().slice(0, 10)); return 1; });
`);
      const env = { RIFFLE_REMOTE_LOG_FOLDER: `${folder}/logs` };
      let r = await riffleDag(root, env, 'backfill', 'shipped', '--start', '2024-02-01', '--end', '2024-02-02');
      assert.equal(r.status, 0, r.err + r.out);
      const run = 'backfill__2024-02-01T00:00:00.000Z';
      const keys = (await openObjectStore(`${folder}/logs`).list('')).map((m) => m.key).sort();
      assert.deepEqual(keys, [`shipped/${encodeURIComponent(run)}/say/-1/1.log`, `shipped/${encodeURIComponent('backfill__2024-02-02T00:00:00.000Z')}/say/-1/1.log`]);
      r = await riffleDag(root, env, 'logs', 'shipped', run, 'say');
      assert.match(r.out, /hello from 2024-02-01/);

      // A store that has the attempt but not its text reads the uploaded log.
      const logs = new RemoteLogFolder(`${folder}/logs`);
      const key = { dagId: 'shipped', runId: run, taskId: 'say', mapIndex: -1 };
      const journal = await JournalStore.open({ dir: join(root, 'store'), readOnly: true });
      try {
        const local = await journal.readLog(key, 1);
        const cleaned = new Proxy(journal, { get: (t, p) => (p === 'readLog' ? async () => '' : Reflect.get(t, p, t)) }) as MetadataStore;
        assert.equal(await withRemoteLogs(cleaned, logs).readLog(key, 1), local);
        assert.equal(await withRemoteLogs(cleaned, logs).readLog({ ...key, taskId: 'other' }, 1), '', 'no upload: empty, as locally');
      } finally {
        await journal.close();
      }
      assert.equal(logs.key({ dagId: '..', runId: '.', taskId: 'a/b', mapIndex: 0 }, 2), '%2E%2E/%2E/a%2Fb/0/2.log', 'ids never leave the folder');

      r = await riffleDag(root, { RIFFLE_REMOTE_LOG_FOLDER: '/var/log/riffle' }, 'logs', 'shipped', run, 'say');
      assert.equal(r.status, 2, r.err);
      assert.match(r.err, /remoteLogFolder must be an object-store URL/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}
