// Coder benchmark on Nexmark events (people, auctions, bids in Beam's proportions): encode and decode throughput
// (MB/s of encoded bytes, ns per element) of Riffle's object coders against JSON and v8.serialize. Run:
//   node --import tsx bench/coders.ts [events=200000] [rounds=5]
// Each round encodes every event into one growing buffer (as a bundle crossing workers is) and decodes them all
// back; the table shows the best round. JSON is measured as text (stringify/parse) and as bytes (UTF-8 on top).
// Times are the process's CPU time (user + system, so GC threads count too), which a busy machine disturbs far less
// than wall time; the load average is printed beside them.
import { loadavg } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { serialize, deserialize } from 'node:v8';
import { ByteReader, ByteWriter, coders, type Coder } from '../src/model/index.ts';
import { defaultConfig } from './nexmark/config.ts';
import { generateEvent } from './nexmark/generator.ts';
import type { Auction, Bid, NexmarkEvent, Person } from './nexmark/model.ts';

const N = Number(process.argv[2] ?? 200_000);
const ROUNDS = Number(process.argv[3] ?? 5);

const config = defaultConfig({ numEvents: N });
const events: NexmarkEvent[] = [];
for (let i = 0; i < N; i++) events.push(generateEvent(config, i).event);

interface Result {
  name: string;
  bytes: number;
  encodeNs: number;
  decodeNs: number;
}

function check(name: string, decoded: unknown[]): void {
  // Every candidate must give the events back exactly (spot-check a spread of them; field order aside).
  for (let i = 0; i < N; i += Math.max(1, Math.floor(N / 997))) {
    if (!isDeepStrictEqual(decoded[i], events[i])) throw new Error(`${name}: event ${i} came back changed`);
  }
}

/** CPU nanoseconds spent in `f`. */
function time(f: () => void): number {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) * 1000;
}

function benchCoder(name: string, coder: Coder<NexmarkEvent>): Result {
  let best: Result = { name, bytes: 0, encodeNs: Infinity, decodeNs: Infinity };
  const w = new ByteWriter(1 << 20);
  for (let r = 0; r < ROUNDS; r++) {
    w.reset();
    const enc = time(() => {
      for (let i = 0; i < N; i++) coder.encode(events[i]!, w);
    });
    const bytes = w.written();
    const out: unknown[] = new Array<unknown>(N);
    const dec = time(() => {
      const rd = new ByteReader(bytes);
      for (let i = 0; i < N; i++) out[i] = coder.decode(rd);
    });
    check(name, out);
    best = { name, bytes: bytes.length, encodeNs: Math.min(best.encodeNs, enc / N), decodeNs: Math.min(best.decodeNs, dec / N) };
  }
  return best;
}

function benchPerElement(name: string, encode: (e: NexmarkEvent) => Uint8Array | string, decode: (b: Uint8Array | string) => unknown): Result {
  let best: Result = { name, bytes: 0, encodeNs: Infinity, decodeNs: Infinity };
  for (let r = 0; r < ROUNDS; r++) {
    const encoded: (Uint8Array | string)[] = new Array<Uint8Array | string>(N);
    const enc = time(() => {
      for (let i = 0; i < N; i++) encoded[i] = encode(events[i]!);
    });
    let bytes = 0;
    for (const e of encoded) bytes += typeof e === 'string' ? Buffer.byteLength(e) : e.length;
    const out: unknown[] = new Array<unknown>(N);
    const dec = time(() => {
      for (let i = 0; i < N; i++) out[i] = decode(encoded[i]!);
    });
    check(name, out);
    best = { name, bytes, encodeNs: Math.min(best.encodeNs, enc / N), decodeNs: Math.min(best.decodeNs, dec / N) };
  }
  return best;
}

// A declared coder per entity, joined by a one-byte tag: what a user who declares the shapes writes.
const person = coders.object<Person>({ fields: { id: 'int', name: 'string', emailAddress: 'string', creditCard: 'string', city: 'string', state: 'string', dateTime: 'int', extra: 'string' } });
const auction = coders.object<Auction>({
  fields: { id: 'int', itemName: 'string', description: 'string', initialBid: 'int', reserve: 'int', dateTime: 'int', expires: 'int', seller: 'int', category: 'int', extra: 'string' },
});
const bid = coders.object<Bid>({ fields: { auction: 'int', bidder: 'int', price: 'int', dateTime: 'int', extra: 'string' } });
const declaredEvents: Coder<NexmarkEvent> = {
  name: 'declared',
  deterministic: true,
  encode(e, o) {
    if (e.type === 'bid') {
      o.byte(2);
      bid.encode(e.bid, o);
    } else if (e.type === 'person') {
      o.byte(0);
      person.encode(e.person, o);
    } else {
      o.byte(1);
      auction.encode(e.auction, o);
    }
  },
  decode(i) {
    const t = i.byte();
    if (t === 2) return { type: 'bid', bid: bid.decode(i) };
    if (t === 0) return { type: 'person', person: person.decode(i) };
    return { type: 'auction', auction: auction.decode(i) };
  },
};

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
const results: Result[] = [
  benchPerElement('JSON (text)', (e) => JSON.stringify(e), (s) => JSON.parse(s as string)),
  benchPerElement('JSON (UTF-8 bytes)', (e) => utf8.encode(JSON.stringify(e)), (b) => JSON.parse(fromUtf8.decode(b as Uint8Array))),
  benchPerElement('v8.serialize', (e) => serialize(e), (b) => deserialize(b as Uint8Array)),
  benchCoder('coders.object()', coders.object<NexmarkEvent>()),
  benchCoder('coders.object({ canonical })', coders.object<NexmarkEvent>({ canonical: true })),
  benchCoder('declared shapes', declaredEvents),
];

const mbps = (bytes: number, nsPerElement: number): number => bytes / N / nsPerElement * 1e3;
console.log(`Nexmark events: ${N} (best of ${ROUNDS} rounds, CPU time), node ${process.version}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log('coder                          bytes/ev  encode ns/ev  encode MB/s  decode ns/ev  decode MB/s  round trip ns/ev');
for (const r of results) {
  console.log(
    `${r.name.padEnd(30)} ${(r.bytes / N).toFixed(1).padStart(8)}  ${r.encodeNs.toFixed(0).padStart(12)}  ${mbps(r.bytes, r.encodeNs).toFixed(0).padStart(11)}  ${r.decodeNs
      .toFixed(0)
      .padStart(12)}  ${mbps(r.bytes, r.decodeNs).toFixed(0).padStart(11)}  ${(r.encodeNs + r.decodeNs).toFixed(0).padStart(16)}`,
  );
}
