/**
 * A sensor in reschedule mode: `wait_for_partition` pokes for the day's `_SUCCESS` marker and, while it is missing,
 * gives its worker slot back and is rescheduled `pokeInterval` later (state `up_for_reschedule`) instead of sleeping
 * in the slot as poke mode does; a reschedule uses no retry. Here the upstream `produce` task writes the marker
 * after a delay, so the sensor pokes a few times, then passes the partition's path to `consume`. With `timeout`
 * reached first, the sensor fails without retry (or, with softFail, is skipped).
 *
 *   node --import tsx src/cli/main.ts dag test reschedule-sensor 2024-01-01 --dags examples/dags --root=/tmp/parts
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dag } from '../../src/orchestrator/index.ts';

export const rescheduleSensor = dag({
  id: 'reschedule-sensor',
  description: 'Wait for a partition marker in reschedule mode, then consume the partition',
  schedule: '@daily',
  startDate: '2024-01-01',
  tags: ['sensor', 'example'],
  params: { root: '.riffle/partitions', delayMs: 600, timeout: '1h' },
});

// Stands in for another system landing the partition: it writes the marker a little later (in the background) and returns at once.
const produce = rescheduleSensor.task('produce', ({ params, ds }) => {
  const dir = join(params.root as string, `ds=${ds}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'part-0.csv'), 'id,value\n1,10\n2,20\n');
  setTimeout(() => writeFileSync(join(dir, '_SUCCESS'), ''), params.delayMs as number);
  return dir;
});

const waitForPartition = rescheduleSensor.sensor('wait_for_partition', {
  inputs: { dir: produce },
  mode: 'reschedule',
  pokeInterval: '200ms',
  timeout: '1h',
  poke: ({ inputs, log }) => {
    const done = existsSync(join(inputs.dir, '_SUCCESS'));
    log(done ? `${inputs.dir} is complete` : `${inputs.dir} not complete yet; rescheduling`);
    return { done, value: inputs.dir };
  },
});

rescheduleSensor.task('consume', { inputs: { dir: waitForPartition } }, ({ inputs, log }) => {
  log(`consuming ${inputs.dir}`);
  return inputs.dir;
});
