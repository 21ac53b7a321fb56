/**
 * Nexmark benchmark (not a test): `npm run bench:nexmark -- [--events N] [--queries 0,1,...] [--json]`.
 *
 * Runs each query on the embedded engine over N events of the Beam-faithful generator (Beam's default configuration,
 * the bounded source: events are generated inside the pipeline, as Beam's Nexmark does), each query in its own
 * child process so that its peak RSS is its own. Prints a table of events/s and peak RSS per query, or with --json
 * one array `[{"query": 0, "events": N, "riffle": {"eventsPerSec": x, "peakRssMB": y}}, ...]`.
 * Peers (Beam DirectRunner, Flink) come later under `--peers`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parDo, Pipeline, read } from '../../src/index.ts';
import { nexmarkBounded } from './sources.ts';
import { queries, queryConfig } from './queries/index.ts';

interface QueryResult {
  readonly query: number;
  readonly events: number;
  readonly riffle: { readonly eventsPerSec: number; readonly peakRssMB: number; readonly seconds: number; readonly outputs: number };
}

function parseArgs(argv: string[]): { events: number; queries: number[]; json: boolean; child: boolean } {
  const opts = { events: 1_000_000, queries: queries.map((q) => q.id), json: false, child: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? '';
    if (flag === '--events') opts.events = Number(value());
    else if (flag === '--queries') opts.queries = value().split(',').map(Number);
    else if (flag === '--json') opts.json = true;
    else if (flag === '--child') opts.child = true;
    else throw new Error(`unknown option ${flag}; usage: bench:nexmark -- [--events N] [--queries 0,1,...] [--json]`);
  }
  if (!(Number.isSafeInteger(opts.events) && opts.events > 0)) throw new Error(`--events must be a positive integer, got ${opts.events}`);
  for (const q of opts.queries) if (!queries.some((x) => x.id === q)) throw new Error(`no Nexmark query ${q}; queries are 0-12`);
  return opts;
}

/** Runs one query in this process and returns its measurements. */
async function measure(id: number, events: number): Promise<QueryResult> {
  const q = queries.find((x) => x.id === id)!;
  const dir = id === 10 ? mkdtempSync(join(tmpdir(), 'riffle-nexmark-q10-')) : undefined;
  try {
    const config = queryConfig({ numEvents: events, ...(dir ? { outputPath: dir } : {}) });
    const p = Pipeline.create();
    let outputs = 0;
    q.build(p.apply('Nexmark', read(nexmarkBounded(config))), config).apply(
      'CountOutputs',
      parDo<unknown, never>({
        process() {
          outputs++;
        },
      }),
    );
    const t0 = performance.now();
    await p.run();
    const seconds = (performance.now() - t0) / 1000;
    const peakRssMB = process.resourceUsage().maxRSS / 1024;
    return { query: id, events, riffle: { eventsPerSec: Math.round(events / seconds), peakRssMB: Math.round(peakRssMB), seconds, outputs } };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

function runChild(id: number, events: number): QueryResult {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [...process.execArgv, self, '--child', '--queries', String(id), '--events', String(events)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`query ${id} failed (exit ${r.status ?? r.signal})`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as QueryResult;
}

function table(results: QueryResult[]): string {
  const rows = [['query', 'name', 'events', 'events/s', 'peak RSS MB', 'seconds', 'outputs']];
  for (const r of results) {
    const q = queries.find((x) => x.id === r.query)!;
    rows.push([`Q${r.query}`, q.name, String(r.events), r.riffle.eventsPerSec.toLocaleString('en-US'), String(r.riffle.peakRssMB), r.riffle.seconds.toFixed(2), String(r.riffle.outputs)]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows.map((row) => row.map((cell, c) => (c <= 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.child) {
    process.stdout.write(`${JSON.stringify(await measure(opts.queries[0]!, opts.events))}\n`);
    return;
  }
  const results: QueryResult[] = [];
  for (const id of opts.queries) {
    if (!opts.json) process.stderr.write(`Q${id}… `);
    results.push(runChild(id, opts.events));
    if (!opts.json) process.stderr.write(`${results.at(-1)!.riffle.eventsPerSec.toLocaleString('en-US')} events/s\n`);
  }
  if (opts.json) {
    console.log(JSON.stringify(results.map((r) => ({ query: r.query, events: r.events, riffle: { eventsPerSec: r.riffle.eventsPerSec, peakRssMB: r.riffle.peakRssMB } }))));
  } else {
    console.log(`\nNexmark on Riffle's embedded engine, ${opts.events.toLocaleString('en-US')} events per query (Beam's default configuration)\n`);
    console.log(table(results));
  }
}

await main();
