// The pipeline postgres-io-workers.test.ts runs on N workers: io.postgres.read of a table split by `id`, each row's id
// written to a file of the reading thread's own. In a worker thread, building the pipeline first inserts rows (after
// the coordinator planned the splits): a consistent split read must not see them.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread, threadId } from 'node:worker_threads';
import pg from 'pg';
import { Pipeline } from '../../src/index.ts';
import * as postgres from '../../src/io/postgres/index.ts';
import { parDo } from '../../src/transforms/index.ts';

export default Pipeline.define({ params: { url: 'string', table: 'string', output: 'string' } }, async (p, { url, table, output }) => {
  mkdirSync(output, { recursive: true });
  if (!isMainThread) {
    // Rows in the middle of the key range and past its end, a row deleted, as concurrent writers would.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`INSERT INTO ${table} (id) SELECT i FROM generate_series(1000000 + $1 * 10, 1000000 + $1 * 10 + 9) i`, [threadId]);
    await client.query(`INSERT INTO ${table} (id) VALUES ($1)`, [-threadId]);
    await client.end();
  }
  const file = join(output, `ids-${threadId}.txt`);
  p.apply(postgres.read({ table }, { url, splitBy: 'id', splits: 4 })).apply(
    parDo({
      process(row: postgres.PgRow) {
        appendFileSync(file, `${String(row.id)}\n`);
      },
    }),
  );
});
