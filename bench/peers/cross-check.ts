/**
 * Cross-check with Beam (not a test; needs Java 17 and Maven, fetches Beam on first use):
 *
 *   node --import tsx bench/peers/cross-check.ts [--events 100000] [--queries 0,1,...] [--beam-dump DIR]
 *
 * Runs each Nexmark query on Riffle (bounded Nexmark source, Beam's default configuration) and Beam's own Java query
 * on the DirectRunner over the same events (bench/peers/beam-nexmark.sh --dump: Beam's bounded event source, which
 * test/nexmark/generator.test.ts proves Riffle's generator equals), and compares the outputs as multisets of the
 * canonical strings the tests compare Riffle with its models (each query's `canonical`, or `summarize` where panes
 * depend on bundling or processing time). Prints per query `equal` or `differs` with the first differences; exits 1
 * if any query differs. With --beam-dump DIR, Beam's outputs already dumped there are reused (Beam is not run).
 *
 * Where Beam's own semantics make outputs legitimately differ from Riffle's, the comparison is made on what both
 * define, as noted in NOTES below.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GlobalWindow, IntervalWindow, parDo, Pipeline, read, type BoundedWindow, type Observed, type PaneInfo } from '../../src/index.ts';
import type { Auction, Bid, NexmarkEvent, Person } from '../nexmark/model.ts';
import { nexmarkBounded } from '../nexmark/sources.ts';
import { queries, queryConfig, type Done, type NexmarkQuery } from '../nexmark/queries/index.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * Per query, where Beam's semantics could make the outputs differ and what is compared instead.
 *  Q0–Q2, Q7, Q8: element-wise or per fixed window: compared exactly (timestamps, windows, values).
 *  Q3: the global-window join by a stateful DoFn: compared as (auction id, name, city, state).
 *  Q4, Q9 (and Q6 through WinningBids): Beam's WinningBids keeps, among bids of equal price and time, whichever it
 *      happens to see first (bundle order); Riffle breaks such ties by bidder then extra. Same outputs unless an
 *      auction has two best bids at the same price and the same millisecond.
 *  Q5: per sliding window, the auctions with the most bids (ties kept by both).
 *  Q6: Beam fires a pane per winning bid (Repeatedly(AfterCount(1)), accumulating) but how many panes it fires
 *      depends on bundling, so only each seller's last pane (the one covering all its winning bids) is compared.
 *  Q10: Beam's Query10 writes its logs only to GCS, so it runs without an output path (no files) and emits a Done per
 *      window; Riffle writes local files. What is compared is the Done messages (one per window, with the window's
 *      end), not the files.
 *  Q11: sessions per bidder with a Repeatedly(AfterCount(maxLogEvents)) trigger: the counts are summed per session.
 *  Q12: processing-time panes depend on the wall clock: the counts are summed per bidder over all panes.
 */
const NOTES: Record<number, string> = {
  4: 'WinningBids ties at equal price and time: Beam keeps the first seen',
  6: "only each seller's last pane (panes depend on bundling)",
  9: 'WinningBids ties at equal price and time: Beam keeps the first seen',
  10: 'Done per window only (Beam writes no log files without GCS)',
  11: 'counts summed over panes per session',
  12: 'counts summed over processing-time panes per bidder',
};

/** How query q's outputs are reduced to compared strings: the query's own test forms, except Q10 (see NOTES). */
function compared(q: NexmarkQuery<any>, outs: readonly Observed<any>[]): string[] {
  if (q.id === 10) return (outs as Observed<Done>[]).map((o) => `${o.timestamp} ${o.value.message}`);
  return q.summarize ? q.summarize(outs) : outs.map(q.canonical);
}

interface Args {
  events: number;
  queries: number[];
  beamDump?: string;
}

function parseArgs(argv: string[]): Args {
  const opts: Args = { events: 100_000, queries: queries.map((q) => q.id) };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? '';
    if (flag === '--events') opts.events = Number(value());
    else if (flag === '--queries') opts.queries = value().split(',').map(Number);
    else if (flag === '--beam-dump') opts.beamDump = value();
    else throw new Error(`unknown option ${flag}; usage: cross-check.ts [--events N] [--queries 0,1,...] [--beam-dump DIR]`);
  }
  if (!(Number.isSafeInteger(opts.events) && opts.events > 0)) throw new Error(`--events must be a positive integer`);
  for (const q of opts.queries) if (!queries.some((x) => x.id === q)) throw new Error(`no Nexmark query ${q}; queries are 0-12`);
  return opts;
}

async function runRiffle(q: NexmarkQuery<any>, events: number): Promise<Observed<any>[]> {
  const dir = q.id === 10 ? mkdtempSync(join(tmpdir(), 'riffle-cross-check-q10-')) : undefined;
  try {
    const config = queryConfig({ numEvents: events, ...(dir ? { outputPath: dir } : {}) });
    const p = Pipeline.create();
    const seen: Observed<any>[] = [];
    q.build(p.apply('Nexmark', read(nexmarkBounded(config))), config).apply(
      'Collect',
      parDo<unknown, never>({
        process(value, ctx) {
          seen.push({ value, timestamp: ctx.timestamp, window: ctx.window, pane: ctx.pane });
        },
      }),
    );
    const result = await p.run();
    if (result.state !== 'DONE') throw new Error(`Riffle's Q${q.id} ended ${result.state}`);
    return seen;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

// ---- Beam's dumped outputs, as Riffle values ------------------------------------------------------------------

type Json = Record<string, any>;

const person = (j: Json): Person => ({
  id: j.id,
  name: j.name,
  emailAddress: j.emailAddress,
  creditCard: j.creditCard,
  city: j.city,
  state: j.state,
  dateTime: j.dateTime,
  extra: j.extra,
});
const auction = (j: Json): Auction => ({
  id: j.id,
  itemName: j.itemName,
  description: j.description,
  initialBid: j.initialBid,
  reserve: j.reserve,
  dateTime: j.dateTime,
  expires: j.expires,
  seller: j.seller,
  category: j.category,
  extra: j.extra,
});
const bid = (j: Json): Bid => ({ auction: j.auction, bidder: j.bidder, price: j.price, dateTime: j.dateTime, extra: j.extra });
function event(j: Json): NexmarkEvent {
  if (j.type === 'person') return { type: 'person', person: person(j.person) };
  if (j.type === 'auction') return { type: 'auction', auction: auction(j.auction) };
  return { type: 'bid', bid: bid(j.bid) };
}

/** Beam's result value of query q (field names as in Beam's nexmark.model) as Riffle's result type. */
function beamValue(q: number, v: Json): unknown {
  switch (q) {
    case 0:
      return event(v);
    case 1:
    case 7:
      return bid(v);
    case 9:
      return { auction: auction(v.auction), bid: bid(v.bid) };
    case 11:
    case 12:
      return { personId: v.personId, sessionCount: v.bidsPerSession };
    default:
      return v; // AuctionPrice, NameCityStateId, CategoryPrice, AuctionCount, SellerPrice, IdNameReserve, Done
  }
}

function beamWindow(w: [number, number] | 'global'): BoundedWindow {
  return w === 'global' ? GlobalWindow.INSTANCE : new IntervalWindow(w[0], w[1]);
}

function beamPane([index, timing, isFirst, isLast]: [number, string, boolean, boolean]): PaneInfo {
  return { index, timing: timing as PaneInfo['timing'], isFirst, isLast, nonSpeculativeIndex: timing === 'EARLY' ? -1 : index };
}

function readBeam(q: number, file: string): Observed<unknown>[] {
  if (!existsSync(file)) return [];
  const outs: Observed<unknown>[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.length === 0) continue;
    const o = JSON.parse(line) as { t: number; w: [number, number] | 'global'; p: [number, string, boolean, boolean]; v: Json };
    outs.push({ value: beamValue(q, o.v), timestamp: o.t, window: beamWindow(o.w), pane: beamPane(o.p) });
  }
  return outs;
}

interface BeamRun {
  readonly query: number;
  readonly error?: string;
  readonly outputs?: number;
}

function runBeam(events: number, ids: number[], dir: string): Map<number, BeamRun> {
  const r = spawnSync('bash', [join(HERE, 'beam-nexmark.sh'), '--runner', 'direct', '--events', String(events), '--queries', ids.join(','), '--dump', dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`beam-nexmark.sh failed (exit ${r.status ?? r.signal})`);
  const runs = new Map<number, BeamRun>();
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('RESULT ')) continue;
    const run = JSON.parse(line.slice(7)) as BeamRun;
    runs.set(run.query, run);
  }
  return runs;
}

// ---- comparison ---------------------------------------------------------------------------------------------

/** Multiset difference: what only Riffle has and what only Beam has. */
function diff(riffle: string[], beam: string[]): { onlyRiffle: string[]; onlyBeam: string[] } {
  const counts = new Map<string, number>();
  for (const s of beam) counts.set(s, (counts.get(s) ?? 0) + 1);
  const onlyRiffle: string[] = [];
  for (const s of riffle) {
    const n = counts.get(s) ?? 0;
    if (n === 0) onlyRiffle.push(s);
    else counts.set(s, n - 1);
  }
  const onlyBeam = [...counts].flatMap(([s, n]) => Array<string>(n).fill(s));
  return { onlyRiffle: onlyRiffle.sort(), onlyBeam: onlyBeam.sort() };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const dir = opts.beamDump ?? mkdtempSync(join(tmpdir(), 'riffle-cross-check-'));
  let failed = false;
  try {
    let beamRuns = new Map<number, BeamRun>();
    if (opts.beamDump === undefined) {
      process.stderr.write(`running Beam's queries on the DirectRunner over ${opts.events} events (one JVM per query)…\n`);
      beamRuns = runBeam(opts.events, opts.queries, dir);
    }
    console.log(`Nexmark cross-check, Riffle vs Beam Java DirectRunner, ${opts.events.toLocaleString('en-US')} events, Beam's default configuration\n`);
    for (const id of opts.queries) {
      const q = queries.find((x) => x.id === id)!;
      const beamRun = beamRuns.get(id);
      if (beamRun?.error !== undefined) {
        failed = true;
        console.log(`Q${id.toString().padEnd(2)} ${q.name.padEnd(32)} beam failed: ${beamRun.error}`);
        continue;
      }
      const beamOuts = readBeam(id, join(dir, `q${id}.jsonl`));
      const riffleOuts = await runRiffle(q, opts.events);
      const { onlyRiffle, onlyBeam } = diff(compared(q, riffleOuts), compared(q, beamOuts));
      const counts = `riffle ${riffleOuts.length} outputs, beam ${beamOuts.length}`;
      const note = NOTES[id] ? `  [compared: ${NOTES[id]}]` : '';
      if (onlyRiffle.length === 0 && onlyBeam.length === 0) {
        console.log(`Q${id.toString().padEnd(2)} ${q.name.padEnd(32)} equal    (${counts})${note}`);
      } else {
        failed = true;
        console.log(`Q${id.toString().padEnd(2)} ${q.name.padEnd(32)} differs  (${counts}; ${onlyRiffle.length} only in Riffle, ${onlyBeam.length} only in Beam)${note}`);
        for (const s of onlyRiffle.slice(0, 5)) console.log(`      only Riffle: ${s.slice(0, 300)}`);
        for (const s of onlyBeam.slice(0, 5)) console.log(`      only Beam:   ${s.slice(0, 300)}`);
      }
    }
  } finally {
    if (opts.beamDump === undefined) rmSync(dir, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
