// The pipeline that sink-kill.test.ts kills: writes 2,000 rows tagged with a generation, one file per bundle of 100
// (20 shards, `<out>/part-SSSSS-of-00020.jsonl`), slowly enough that a kill can land while it writes or while it commits.
//   node --import tsx test/integration/sink-kill-child.ts <out dir> <generation>
// RIFFLE_COMMIT_DELAY_MS (set by the test) slows each step of the commit.
import { join } from 'node:path';
import { create, io, Pipeline } from '../../src/index.ts';

const [out, gen] = process.argv.slice(2);
if (!out || !gen) throw new Error('usage: sink-kill-child.ts <out dir> <generation>');
const ROWS = 2000;
const pause = new Int32Array(new SharedArrayBuffer(4));

const p = Pipeline.create();
p.apply(create(Array.from({ length: ROWS }, (_, i) => i), { batchSize: 100 }))
  .map((i) => {
    if (i % 20 === 0) Atomics.wait(pause, 0, 0, 1); // about 100 ms of writing
    return { gen: Number(gen), i };
  })
  .apply(io.files.writeJsonl<{ gen: number; i: number }>(join(out, 'part')));
process.stdout.write('start\n');
await p.run();
process.stdout.write('done\n');
