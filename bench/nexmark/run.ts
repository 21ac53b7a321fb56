/**
 * Nexmark benchmark (not a test): `npm run bench:nexmark -- [--events N] [--queries 0,1,...] [--workers 1,2] [--json]`.
 *
 * Runs each query on the embedded engine over N events of the Beam-faithful generator (Beam's default configuration,
 * the bounded source: events are generated inside the pipeline, as Beam's Nexmark does, and it reports the
 * generator's watermark as it reads, so windows fire while it reads), each query in its own child process so that
 * its peak RSS is its own. `--workers` (default 1; a list runs each query at each count in the same run) runs the
 * query on that many worker threads (bench/nexmark/pipeline.ts is the module each worker loads, compiled with the engine
 * into one bundle as an installed riffle's dist/ is — `--workers-from-source` loads the TypeScript instead; 1 runs in-process).
 * Prints a table of events/s, CPU-seconds per million events (the process's user + system time over the run, all
 * threads) and peak RSS per query and worker count, or with --json one array
 * `[{"query": 0, "events": N, "riffle": {"eventsPerSec": x, "peakRssMB": y, "cpuSecPerMEvents": c, "workers": w}}, ...]`
 * (`riffle` is the first worker count's; with several, `"riffleByWorkers": {"1": {...}, "2": {...}}` has each).
 * `--no-watermark`: the source reports only its end (as before event-time progress): windows fire at the end.
 * `--memory SIZE` (e.g. `512m`): the job's memory budget (as `riffle run --memory`, split among workers); grouping
 * buffers and keyed state spill past it. Default: the engine's (a fraction of the heap).
 *
 * With `--peers` (or `--peers=beamDirect` / `--peers=flink` for one), after Riffle's figures it runs the same queries
 * over the same configuration and event count with Beam's own Java Nexmark queries on Beam's DirectRunner and on
 * Beam's FlinkRunner (embedded local Flink), in batch, one JVM per query (bench/peers/beam-nexmark.sh, which fetches
 * them from Maven Central into ~/.cache/riffle-peers on first use), and adds their events/s and the ratio
 * Riffle/peer per query; `--json` then adds `"peers": {"beamDirect": {"eventsPerSec": x}, "flink": {"eventsPerSec": x}}`
 * (`{"eventsPerSec": null, "error": "..."}` for a query a peer could not run). `--peer-timeout S` (default 1800)
 * stops a peer's query after S seconds. `--flink-parallelism 1,2` runs the Flink peer at each parallelism (the table then
 * sets each Riffle row beside Flink at the same parallelism as its worker count; `--json` adds
 * `"flinkByParallelism": {"1": {"eventsPerSec": x}, ...}`, and `peers.flink` is the largest's). A peer's time is its pipeline's run until finished, JVM start excluded
 * (for Flink, that includes starting the embedded cluster, about a second).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LocalRunner, parDo, Pipeline, read } from '../../src/index.ts';
import { parseSize } from '../../src/runner/state/index.ts';
import definition from './pipeline.ts';
import { nexmarkBounded } from './sources.ts';
import { queries, queryConfig } from './queries/index.ts';

interface RiffleResult {
  readonly eventsPerSec: number;
  readonly peakRssMB: number;
  readonly seconds: number;
  readonly outputs: number;
  readonly workers: number;
  /** User + system CPU of the query's process (every thread) over the run, per million events. */
  readonly cpuSecPerMEvents: number;
}

interface QueryResult {
  readonly query: number;
  readonly events: number;
  readonly riffle: RiffleResult;
  /** Each worker count's figures, when several were asked for. */
  byWorkers?: RiffleResult[];
  peers?: Partial<Record<PeerName, PeerResult>>;
  /** `--flink-parallelism`: Flink's figures at each parallelism, beside Riffle at the same worker count. */
  flinkByParallelism?: Record<number, PeerResult>;
}

const PEERS = { beamDirect: { runner: 'direct', label: 'Beam direct' }, flink: { runner: 'flink', label: 'Flink (Beam)' } } as const;
type PeerName = keyof typeof PEERS;
interface PeerResult {
  readonly eventsPerSec: number | null;
  readonly seconds?: number;
  readonly outputs?: number;
  readonly error?: string;
}

interface Options {
  events: number;
  queries: number[];
  json: boolean;
  child: boolean;
  workers: number[];
  /** The source reports the generator's watermark as it reads (`--no-watermark`: only its end, as before). */
  watermark: boolean;
  peers: PeerName[];
  peerTimeout: number;
  /** `--flink-parallelism 1,2`: the Flink peer runs at each (default: its own, one per core). */
  flinkParallelism: number[];
  /** The job's memory budget as given (`--memory 512m`); the engine's default when absent. */
  memory?: string;
  /** Internal (parent → child): the folder of the compiled bundle multi-worker runs load (see workerBundle). */
  bundle?: string;
  /** `--workers-from-source`: workers load the TypeScript sources through tsx instead of the bundle. */
  fromSource: boolean;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { events: 1_000_000, queries: queries.map((q) => q.id), json: false, child: false, workers: [1], watermark: true, peers: [], peerTimeout: 1800, flinkParallelism: [], fromSource: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? '';
    if (flag === '--events') opts.events = Number(value());
    else if (flag === '--queries') opts.queries = value().split(',').map(Number);
    else if (flag === '--json') opts.json = true;
    else if (flag === '--child') opts.child = true;
    else if (flag === '--workers') opts.workers = value().split(',').map(Number);
    else if (flag === '--no-watermark') opts.watermark = false;
    else if (flag === '--peers') opts.peers = (inline ?? Object.keys(PEERS).join(',')).split(',') as PeerName[];
    else if (flag === '--peer-timeout') opts.peerTimeout = Number(value());
    else if (flag === '--flink-parallelism') opts.flinkParallelism = value().split(',').map(Number);
    else if (flag === '--memory') opts.memory = value();
    else if (flag === '--bundle') opts.bundle = value();
    else if (flag === '--workers-from-source') opts.fromSource = true;
    else throw new Error(`unknown option ${flag}; usage: bench:nexmark -- [--events N] [--queries 0,1,...] [--workers 1,2] [--no-watermark] [--memory SIZE] [--workers-from-source] [--json] [--peers[=beamDirect,flink]] [--flink-parallelism 1,2] [--peer-timeout S]`);
  }
  for (const p of opts.peers) if (!(p in PEERS)) throw new Error(`unknown peer ${p}; peers are ${Object.keys(PEERS).join(', ')}`);
  if (opts.memory !== undefined) parseSize(opts.memory, '--memory');
  if (!(Number.isSafeInteger(opts.events) && opts.events > 0)) throw new Error(`--events must be a positive integer, got ${opts.events}`);
  for (const w of opts.workers) if (!(Number.isInteger(w) && w >= 1 && w <= 64)) throw new Error(`--workers takes worker counts from 1 to 64, e.g. 1,2; got ${opts.workers.join(',')}`);
  for (const q of opts.queries) if (!queries.some((x) => x.id === q)) throw new Error(`no Nexmark query ${q}; queries are 0-12`);
  return opts;
}

/**
 * Runs one query in this process and returns its measurements: in-process for 1 worker (the pipeline built inline),
 * else on `workers` threads loading bench/nexmark/pipeline.ts (outputs counted by the CountOutputs step's metrics).
 */
async function measure(id: number, events: number, workers: number, watermark: boolean, memory: string | undefined, bundle: string | undefined): Promise<QueryResult> {
  const memoryOption = memory !== undefined ? { memoryBytes: parseSize(memory, '--memory') } : {};
  const q = queries.find((x) => x.id === id)!;
  const dir = id === 10 ? mkdtempSync(join(tmpdir(), 'riffle-nexmark-q10-')) : undefined;
  try {
    const config = queryConfig({ numEvents: events, ...(dir ? { outputPath: dir } : {}) });
    const p = Pipeline.create();
    let outputs = 0;
    let run: () => Promise<unknown>;
    if (workers === 1) {
      q.build(p.apply('Nexmark', read(nexmarkBounded(config, { watermark }))), config).apply(
        'CountOutputs',
        parDo<unknown, never>({
          process() {
            outputs++;
          },
        }),
      );
      run = () => p.run(memoryOption);
    } else {
      const params = { query: id, events, outputPath: dir ?? '', watermark };
      // From the bundle (workerBundle), the coordinator and the workers run the same compiled code; else the sources.
      const compiled = bundle === undefined ? undefined : await loadBundle(bundle);
      const module = compiled?.module ?? fileURLToPath(new URL('./pipeline.ts', import.meta.url));
      const built = compiled ? compiled.riffle.Pipeline.create() : p;
      await (compiled?.definition ?? definition).build(built, params);
      const graph = built.graph;
      const Runner = compiled?.riffle.LocalRunner ?? LocalRunner;
      run = async () => {
        const result = await new Runner().run(graph, { workers, ...memoryOption, pipelineModule: { path: module, params } });
        outputs = result.metrics.steps.find((s) => s.step === 'CountOutputs')?.elementsIn ?? 0;
      };
    }
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const peakRssMB = process.resourceUsage().maxRSS / 1024;
    const cpuSecPerMEvents = Math.round(((cpu.user + cpu.system) / 1e6 / (events / 1e6)) * 100) / 100;
    return { query: id, events, riffle: { eventsPerSec: Math.round(events / seconds), peakRssMB: Math.round(peakRssMB), seconds, outputs, workers, cpuSecPerMEvents } };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The heap each query's process gets: Node's default (about 4 GB on this 24 GB machine), as `riffle run` gets it —
 * grouping and keyed state spill past the job's memory budget, so no query needs more. (Until session 8 it was 8 GB,
 * as the peers' -Xmx8g; V8 collects lazily in proportion to its limit, so the 8 GB heap let allocation-heavy
 * queries reach 1.5-2 GB of RSS whose live data was under 200 MB — Q11 at 10M: 154 MB live, 1,061 MB RSS.)
 * RIFFLE_BENCH_HEAP_MB sets it (e.g. 8192 for the old configuration).
 */
const HEAP_MB = process.env.RIFFLE_BENCH_HEAP_MB !== undefined ? Number(process.env.RIFFLE_BENCH_HEAP_MB) : undefined;

/**
 * Multi-worker runs load one compiled bundle of the engine and this benchmark's pipeline module (built once per run
 * with the package build's configuration, scripts/bundle.mjs), as an installed riffle's workers load dist/: from the
 * TypeScript sources every worker thread would start tsx and compile about 300 modules through its loader thread
 * (about 1.3 CPU-seconds per worker, inside the timed run, which the one-worker run pays before it). Returns the folder
 * (removed by the caller); `--workers-from-source` skips it.
 */
async function workerBundle(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-nexmark-bundle-'));
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const { bundle, WORKER_ENTRIES } = (await import(new URL('../../scripts/bundle.mjs', import.meta.url).href)) as {
    bundle(root: string, entries: Record<string, string>, outdir: string): Promise<unknown>;
    WORKER_ENTRIES: Record<string, string>;
  };
  await bundle(root, { index: 'src/index.ts', 'nexmark-pipeline': 'bench/nexmark/pipeline.ts', ...WORKER_ENTRIES }, dir);
  return dir;
}

async function loadBundle(dir: string): Promise<{ riffle: typeof import('../../src/index.ts'); definition: typeof definition; module: string }> {
  const module = join(dir, 'nexmark-pipeline.js');
  const riffle = (await import(pathToFileURL(join(dir, 'index.js')).href)) as typeof import('../../src/index.ts');
  const { default: def } = (await import(pathToFileURL(module).href)) as { default: typeof definition };
  return { riffle, definition: def, module };
}

function runChild(id: number, events: number, workers: number, watermark: boolean, memory: string | undefined, bundle: string | undefined): QueryResult {
  const self = fileURLToPath(import.meta.url);
  const heap = HEAP_MB === undefined || process.execArgv.some((a) => a.startsWith('--max-old-space-size')) ? [] : [`--max-old-space-size=${HEAP_MB}`];
  const r = spawnSync(process.execPath, [...heap, ...process.execArgv, self, '--child', '--queries', String(id), '--events', String(events), '--workers', String(workers), ...(watermark ? [] : ['--no-watermark']), ...(memory !== undefined ? ['--memory', memory] : []), ...(bundle !== undefined && workers > 1 ? ['--bundle', bundle] : [])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`query ${id} failed (exit ${r.status ?? r.signal})`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as QueryResult;
}

/** Runs one peer over the queries (bench/peers/beam-nexmark.sh, one JVM per query), reporting each as it ends. */
function runPeer(peer: PeerName, ids: number[], events: number, timeoutS: number, onResult: (id: number, r: PeerResult) => void, parallelism?: number): void {
  const script = fileURLToPath(new URL('../peers/beam-nexmark.sh', import.meta.url));
  // Fetch and compile first (Maven, first use only), so that no query's time includes it.
  const fetch = spawnSync('bash', [script, '--runner', PEERS[peer].runner, '--fetch-only'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (fetch.status !== 0) {
    for (const id of ids) onResult(id, { eventsPerSec: null, error: `fetching the peer failed (exit ${fetch.status ?? fetch.signal})` });
    return;
  }
  for (const id of ids) {
    const args = [script, '--runner', PEERS[peer].runner, '--events', String(events), '--queries', String(id), '--timeout', String(timeoutS), ...(parallelism !== undefined ? ['--parallelism', String(parallelism)] : [])];
    const r = spawnSync('bash', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (line === undefined) {
      onResult(id, { eventsPerSec: null, error: `beam-nexmark.sh printed no result (exit ${r.status ?? r.signal})` });
      continue;
    }
    const out = JSON.parse(line.slice(7)) as { eventsPerSec?: number; seconds?: number; outputs?: number; error?: string };
    onResult(id, out.error !== undefined || out.eventsPerSec === undefined ? { eventsPerSec: null, error: out.error ?? 'no figure' } : { eventsPerSec: out.eventsPerSec, seconds: out.seconds!, outputs: out.outputs! });
  }
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** A run's figures in the --json output. */
const figures = (r: RiffleResult) => ({ eventsPerSec: r.eventsPerSec, peakRssMB: r.peakRssMB, cpuSecPerMEvents: r.cpuSecPerMEvents, workers: r.workers });

function ratio(riffle: number, peer: PeerResult | undefined): string {
  if (peer === undefined) return '';
  if (peer.eventsPerSec === null) return peer.error?.startsWith('timeout') ? 'timeout' : 'failed';
  return `${(riffle / peer.eventsPerSec).toFixed(1)}×`;
}

function table(results: QueryResult[], peers: readonly PeerName[], flinkParallelism: readonly number[] = []): string {
  const rows = [['query', 'name', 'workers', 'events', 'events/s', 'CPU s/M events', 'peak RSS MB', 'seconds', 'outputs']];
  for (const p of peers) rows[0]!.push(`${PEERS[p].label} ev/s`, `Riffle/${PEERS[p].label}`);
  if (flinkParallelism.length > 0) rows[0]!.push('Flink at p=workers ev/s', 'Riffle/Flink same p');
  for (const r of results) {
    const q = queries.find((x) => x.id === r.query)!;
    for (const [i, w] of (r.byWorkers ?? [r.riffle]).entries()) {
      const row = [`Q${r.query}`, q.name, String(w.workers), String(r.events), fmt(w.eventsPerSec), w.cpuSecPerMEvents.toFixed(2), String(w.peakRssMB), w.seconds.toFixed(2), String(w.outputs)];
      for (const p of peers) {
        const pr = i === 0 ? r.peers?.[p] : undefined;
        row.push(pr?.eventsPerSec == null ? '-' : fmt(pr.eventsPerSec), ratio(w.eventsPerSec, pr));
      }
      if (flinkParallelism.length > 0) {
        const fr = r.flinkByParallelism?.[w.workers];
        row.push(fr?.eventsPerSec == null ? '-' : fmt(fr.eventsPerSec), ratio(w.eventsPerSec, fr));
      }
      rows.push(row);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows.map((row) => row.map((cell, c) => (c <= 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.child) {
    process.stdout.write(`${JSON.stringify(await measure(opts.queries[0]!, opts.events, opts.workers[0]!, opts.watermark, opts.memory, opts.bundle))}\n`);
    return;
  }
  const bundle = opts.workers.some((w) => w > 1) && !opts.fromSource ? await workerBundle() : undefined;
  try {
    await report(opts, bundle);
  } finally {
    if (bundle !== undefined) rmSync(bundle, { recursive: true, force: true });
  }
}

async function report(opts: Options, bundle: string | undefined): Promise<void> {
  const results: QueryResult[] = [];
  for (const id of opts.queries) {
    const runs: RiffleResult[] = [];
    for (const w of opts.workers) {
      if (!opts.json) process.stderr.write(`Q${id}${opts.workers.length > 1 ? ` (${w} worker${w === 1 ? '' : 's'})` : ''}… `);
      runs.push(runChild(id, opts.events, w, opts.watermark, opts.memory, bundle).riffle);
      const got = runs.at(-1)!;
      if (!opts.json) process.stderr.write(`${fmt(got.eventsPerSec)} events/s, ${got.cpuSecPerMEvents.toFixed(2)} CPU s/M events, ${fmt(got.peakRssMB)} MB peak RSS\n`);
    }
    results.push({ query: id, events: opts.events, riffle: runs[0]!, ...(runs.length > 1 ? { byWorkers: runs } : {}) });
  }
  // Flink at each asked parallelism (its figure at the largest is also `peers.flink`).
  for (const parallelism of opts.peers.includes('flink') ? opts.flinkParallelism : []) {
    if (!opts.json) process.stderr.write(`\nFlink (Beam), parallelism ${parallelism}:\n`);
    runPeer('flink', opts.queries, opts.events, opts.peerTimeout, (id, r) => {
      const res = results.find((x) => x.query === id)!;
      (res.flinkByParallelism ??= {})[parallelism] = r;
      if (parallelism === Math.max(...opts.flinkParallelism)) (res.peers ??= {}).flink = r;
      if (!opts.json) process.stderr.write(`Q${id}… ${r.eventsPerSec === null ? r.error : `${fmt(r.eventsPerSec)} events/s`}\n`);
    }, parallelism);
  }
  for (const peer of opts.peers) {
    if (peer === 'flink' && opts.flinkParallelism.length > 0) continue;
    if (!opts.json) process.stderr.write(`\n${PEERS[peer].label}:\n`);
    runPeer(peer, opts.queries, opts.events, opts.peerTimeout, (id, r) => {
      const res = results.find((x) => x.query === id)!;
      (res.peers ??= {})[peer] = r;
      if (!opts.json) process.stderr.write(`Q${id}… ${r.eventsPerSec === null ? r.error : `${fmt(r.eventsPerSec)} events/s`}\n`);
    });
  }
  if (opts.json) {
    console.log(
      JSON.stringify(
        results.map((r) => ({
          query: r.query,
          events: r.events,
          riffle: figures(r.riffle),
          ...(r.byWorkers ? { riffleByWorkers: Object.fromEntries(r.byWorkers.map((w) => [String(w.workers), figures(w)])) } : {}),
          ...(r.peers ? { peers: Object.fromEntries(Object.entries(r.peers).map(([k, v]) => [k, v.error === undefined ? { eventsPerSec: v.eventsPerSec } : { eventsPerSec: null, error: v.error }])) } : {}),
          ...(r.flinkByParallelism ? { flinkByParallelism: Object.fromEntries(Object.entries(r.flinkByParallelism).map(([k, v]) => [k, v.error === undefined ? { eventsPerSec: v.eventsPerSec } : { eventsPerSec: null, error: v.error }])) } : {}),
        })),
      ),
    );
  } else {
    console.log(`\nNexmark on Riffle's embedded engine, ${fmt(opts.events)} events per query (Beam's default configuration)\n`);
    if (opts.peers.length > 0) console.log(`Peers: Beam 2.60.0's Nexmark queries in batch, one JVM per query: ${opts.peers.map((p) => PEERS[p].label).join(', ')}\n`);
    console.log(table(results, opts.peers, opts.flinkParallelism));
    for (const r of results) for (const [p, fr] of Object.entries(r.flinkByParallelism ?? {})) if (fr.error !== undefined) console.log(`Q${r.query} Flink p${p}: ${fr.error}`);
    for (const r of results) for (const p of opts.peers) if (r.peers?.[p]?.error !== undefined) console.log(`Q${r.query} ${PEERS[p].label}: ${r.peers[p]!.error}`);
  }
}

await main();
