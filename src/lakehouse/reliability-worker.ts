/**
 * A separate process for the reliability tests (reliability.test.ts): appends to a table concurrently with other
 * processes, or dies by SIGKILL in the middle of a commit.
 *   node --import tsx reliability-worker.ts append <table> <worker> <appends> <rowsPerAppend>
 *   node --import tsx reliability-worker.ts crash <table>
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeltaTable } from './delta-table.ts';

const [mode, path, worker = '0', appends = '20', perAppend = '5'] = process.argv.slice(2);
const table = await DeltaTable.open(path);
if (mode === 'append') {
  let retries = 0;
  for (let a = 0; a < Number(appends); a++) {
    const rows = Array.from({ length: Number(perAppend) }, (_, k) => ({ id: Number(worker) * 1_000_000 + a * 1000 + k, worker: Number(worker) }));
    const result = await table.append(rows);
    if ('attempts' in result) retries += result.attempts - 1;
  }
  process.stdout.write(JSON.stringify({ retries }));
} else if (mode === 'crash') {
  const tx = await table.startTransaction();
  const adds = await tx.writeRows([{ id: 999, worker: 9 }]);
  // Half-way through a commit: the temporary commit file is written, the put-if-absent link is not done yet.
  const next = String(tx.readVersion + 1).padStart(20, '0');
  writeFileSync(join(path, '_delta_log', `.${next}.crashed.json.tmp`), JSON.stringify({ add: adds[0] }).slice(0, 40));
  process.stdout.write(JSON.stringify({ orphans: adds.map((a) => a.path) }));
  process.kill(process.pid, 'SIGKILL');
}
