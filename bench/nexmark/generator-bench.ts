/**
 * How fast the Nexmark generator alone runs: events per second over a batch of the default configuration, on one core.
 *   node --import tsx bench/nexmark/generator-bench.ts [--events N]
 */
import { defaultConfig, GeneratorConfig } from './config.ts';
import { EventGenerator } from './generator.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}

const events = arg('events', 5_000_000);
const config = defaultConfig({ numEvents: events });
const rows: { run: string; events: number; seconds: number; eventsPerSec: number }[] = [];

function run(label: string): void {
  const start = process.hrtime.bigint();
  let checksum = 0;
  for (const part of GeneratorConfig.standard(config).split(config.numEventGenerators)) {
    const generator = new EventGenerator(part);
    for (let i = 0; i < part.maxEvents; i++) checksum += generator.generate(i).eventTimestamp & 1;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (checksum < 0) throw new Error('unreachable');
  rows.push({ run: label, events, seconds: Number(seconds.toFixed(3)), eventsPerSec: Math.round(events / seconds) });
}

run('warm-up');
run('measured');
console.table(rows);
const measured = rows[rows.length - 1]!;
console.log(`nexmark generator: ${(measured.eventsPerSec / 1e6).toFixed(2)} M events/s (one core, ${events} events)`);
