// Global-window grouping of N elements over K keys through the spillable grouping buffer (runner/state), checked
// exactly against the expected groups (constant memory). Not part of npm test. Run, e.g.:
//   node --max-old-space-size=512 --import tsx bench/spill.ts --elements 50000000 --keys 5000000
//   node --max-old-space-size=512 --import tsx bench/spill.ts --elements 5000000 --keys 500000 --json
// Options: --elements N, --keys K, --value-bytes B (default 40), --memory SIZE (default: the job default, a
// fraction of the heap limit), --spill-dir DIR (default: the OS temp directory), --json.
import { parseArgs } from 'node:util';
import { defaultJobMemory, parseSize } from '../src/runner/state/index.ts';
import { runGroupingWorkload } from '../src/runner/state/spill-workload.ts';

const { values } = parseArgs({
  options: {
    elements: { type: 'string', default: '5000000' },
    keys: { type: 'string', default: '500000' },
    'value-bytes': { type: 'string', default: '40' },
    memory: { type: 'string' },
    'spill-dir': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

const memory = values.memory !== undefined ? parseSize(values.memory, '--memory') : defaultJobMemory();
const cpu0 = process.cpuUsage();
const r = await runGroupingWorkload({
  elements: Number(values.elements),
  keys: Number(values.keys),
  valueBytes: Number(values['value-bytes']),
  memory,
  ...(values['spill-dir'] ? { spillDir: values['spill-dir'] } : {}),
});
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const mb = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;

if (values.json) {
  process.stdout.write(JSON.stringify({ ...r, memoryBudget: memory, cpuSeconds }) + '\n');
} else {
  const rows: Array<[string, string]> = [
    ['elements / keys', `${r.elements.toLocaleString('en')} / ${r.keys.toLocaleString('en')}`],
    ['input (encoded)', mb(r.inputBytes)],
    ['memory budget', mb(memory)],
    ['heap limit', mb(r.heapLimitBytes)],
    ['time (add + merge)', `${r.seconds.toFixed(1)} s (${r.addSeconds.toFixed(1)} + ${r.mergeSeconds.toFixed(1)})`],
    ['cpu', `${cpuSeconds.toFixed(1)} s`],
    ['elements/s', Math.round(r.elements / r.seconds).toLocaleString('en')],
    ['spilled', `${mb(r.bytesSpilled)} in ${r.runsWritten} runs (merges included)`],
    ['peak buffer (estimated)', mb(r.peakBytesInMemory)],
    ['peak RSS', mb(r.peakRssBytes)],
    ['result', r.ok ? 'matches the reference' : `WRONG: ${r.error}`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
}
process.exitCode = r.ok ? 0 : 1;
