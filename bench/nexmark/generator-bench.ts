/**
 * How fast the Nexmark generator alone runs: events per second over a batch of the default configuration, on one core.
 *   node --import tsx bench/nexmark/generator-bench.ts [--events N] [--batch B] [--per-event]
 *
 * By default it generates as the bounded source does (`EventGenerator.fill`, B = 8192 events at a time, into plain
 * arrays with their timestamps); `--per-event` measures `generate`, one event (and wrapper) at a time. It reports
 * wall time and also the process's CPU time, which is steadier on a shared machine.
 */
import { defaultConfig, GeneratorConfig } from './config.ts';
import { EventGenerator } from './generator.ts';
import type { NexmarkEvent } from './model.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}

const events = arg('events', 5_000_000);
const batch = arg('batch', 8192);
const perEvent = process.argv.includes('--per-event');
const config = defaultConfig({ numEvents: events });
const rows: { run: string; events: number; seconds: number; cpuSeconds: number; eventsPerSec: number; eventsPerCpuSec: number }[] = [];

function run(label: string): void {
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let checksum = 0;
  for (const part of GeneratorConfig.standard(config).split(config.numEventGenerators)) {
    const generator = new EventGenerator(part);
    if (perEvent) {
      for (let i = 0; i < part.maxEvents; i++) checksum += generator.generate(i).eventTimestamp & 1;
      continue;
    }
    for (let from = 0; from < part.maxEvents; from += batch) {
      const values: NexmarkEvent[] = [];
      const timestamps: number[] = [];
      generator.fill(from, Math.min(part.maxEvents, from + batch), values, timestamps);
      checksum += values.length + (timestamps[0]! & 1);
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (checksum < 0) throw new Error('unreachable');
  rows.push({
    run: label,
    events,
    seconds: Number(seconds.toFixed(3)),
    cpuSeconds: Number(cpuSeconds.toFixed(3)),
    eventsPerSec: Math.round(events / seconds),
    eventsPerCpuSec: Math.round(events / cpuSeconds),
  });
}

run('warm-up');
run('measured');
console.table(rows);
const measured = rows[rows.length - 1]!;
console.log(
  `nexmark generator (${perEvent ? 'generate, per event' : `fill, ${batch} per batch`}): ${(measured.eventsPerSec / 1e6).toFixed(2)} M events/s ` +
    `(${(measured.eventsPerCpuSec / 1e6).toFixed(2)} M per CPU second; one core, ${events} events)`,
);
