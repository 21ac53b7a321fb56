import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { MAX_TIMESTAMP } from '../../src/index.ts';
import { DEFAULT_CONFIG, defaultConfig, GeneratorConfig, type NexmarkConfig } from '../../bench/nexmark/config.ts';
import { generateEvent, generateEvents } from '../../bench/nexmark/generator.ts';
import { JavaRandom } from '../../bench/nexmark/java-random.ts';
import { eventTimestamp, type NexmarkEvent } from '../../bench/nexmark/model.ts';
import { BEGINNING_OF_TIME, nexmarkBounded, nexmarkUnbounded } from '../../bench/nexmark/sources.ts';

// Made by bench/peers/beam-nexmark-fixture.sh with Beam 2.60.0's own Generator and BoundedEventSource.
function fixture(name: string): Record<string, unknown>[] {
  const text = gunzipSync(readFileSync(new URL(`./fixtures/${name}`, import.meta.url))).toString('utf8');
  return text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The fixture's batch shape: `extra` replaced by its length. */
function withExtraLength(e: NexmarkEvent): unknown {
  const entity = e.type === 'person' ? e.person : e.type === 'auction' ? e.auction : e.bid;
  const { extra, ...rest } = entity;
  return { type: e.type, [e.type]: { ...rest, extraLength: extra.length } };
}

async function readAll(source: { read(): AsyncIterable<{ values: NexmarkEvent[]; timestamps?: number[] }> }) {
  const events: NexmarkEvent[] = [];
  const timestamps: number[] = [];
  for await (const batch of source.read()) {
    events.push(...batch.values);
    timestamps.push(...(batch.timestamps ?? []));
  }
  return { events, timestamps };
}

// Outputs of java.util.Random on OpenJDK 17 (see the fixture script's DumpEvents for how Java is run here).
const JAVA_RANDOM_VECTORS = [
  { seed: '0', ints: [-1155484576, -723955400, 1033096058, -1690734402], bounded: [[1, 0], [2, 0], [10, 1], [13, 2], [26, 3], [100, 54], [1000, 77], [1073741824, 271416338], [10000, 7473], [2147483647, 1316484262], [1073741825, 49567875]], longs: ['-1083761183081836303', '5072005423257391728'], doubles: [0.12889715087377673, 0.14660165764651822, 0.023238122483889456], booleans: [true, false, true, true] },
  { seed: '1', ints: [-1155869325, 431529176, 1761283695, 1749940626], bounded: [[1, 0], [2, 0], [10, 4], [13, 9], [26, 22], [100, 48], [1000, 569], [1073741824, 163999236], [10000, 317], [2147483647, 342691263], [1073741825, 1046012189]], longs: ['7326573195622447256', '6410576364588137014'], doubles: [0.29405703200403677, 0.5064836273262351, 0.11596708803265776], booleans: [true, true, true, false] },
  { seed: '42', ints: [-1170105035, 234785527, -1360544799, 205897768], bounded: [[1, 0], [2, 1], [10, 5], [13, 3], [26, 3], [100, 93], [1000, 182], [1073741824, 484533751], [10000, 5276], [2147483647, 819572292], [1073741825, 592164476]], longs: ['-5710636755842891759', '-4388661819516108785'], doubles: [0.998178600062844, 0.15195824856297624, 0.43979982659080874], booleans: [true, false, true, false] },
  { seed: '-1', ints: [1155099827, 1887904451, 52699159, -1941176418], bounded: [[1, 0], [2, 1], [10, 7], [13, 12], [26, 9], [100, 31], [1000, 808], [1073741824, 332610256], [10000, 4317], [2147483647, 149520196], [1073741825, 176890342]], longs: ['-5716699375945509478', '-1796410235683962820'], doubles: [0.731528112280788, 0.3512046624756696, 0.45425033005643833], booleans: [false, false, false, false] },
  { seed: '123456789012345', ints: [-1421006947, -2071311287, -583755257, -1678701992], bounded: [[1, 0], [2, 1], [10, 0], [13, 5], [26, 1], [100, 84], [1000, 823], [1073741824, 661740015], [10000, 5156], [2147483647, 146958768], [1073741825, 600863488]], longs: ['-6055649686824370105', '4264164029660321734'], doubles: [0.22311629499741814, 0.8731768220433637, 0.46261343818780964], booleans: [false, false, true, true] },
  { seed: '140737488355328', ints: [991999072, 1423528248, -1114387590, 456749246], bounded: [[1, 0], [2, 1], [10, 7], [13, 1], [26, 17], [100, 30], [1000, 901], [1073741824, 808287250], [10000, 9297], [2147483647, 242742438], [1073741825, 1041189271]], longs: ['8906448085338692360', '-8797587226550225678'], doubles: [0.6759768094860608, 0.8129359726443461, 0.8679757661611087], booleans: [false, true, true, false] },
  { seed: '-9223372036854775808', ints: [-1155484576, -723955400, 1033096058, -1690734402], bounded: [[1, 0], [2, 0], [10, 1], [13, 2], [26, 3], [100, 54], [1000, 77], [1073741824, 271416338], [10000, 7473], [2147483647, 1316484262], [1073741825, 49567875]], longs: ['-1083761183081836303', '5072005423257391728'], doubles: [0.12889715087377673, 0.14660165764651822, 0.023238122483889456], booleans: [true, false, true, true] },
  { seed: '9999', ints: [-509091100, 274706327, 129047958, 1658972185], bounded: [[1, 0], [2, 0], [10, 7], [13, 11], [26, 10], [100, 83], [1000, 136], [1073741824, 616027120], [10000, 1032], [2147483647, 1017154957], [1073741825, 1022352321]], longs: ['3192812480241489927', '-5877201484736882047'], doubles: [0.4375433369079904, 0.8510482953607659, 0.8708030650912238], booleans: [true, true, true, true] },
] as const;

describe('JavaRandom', () => {
  for (const v of JAVA_RANDOM_VECTORS) {
    it(`matches java.util.Random for seed ${v.seed}`, () => {
      const seed = BigInt(v.seed);
      const asNumber = Number(seed);
      const randoms = [new JavaRandom(seed)];
      if (Number.isSafeInteger(asNumber)) randoms.push(new JavaRandom(asNumber));
      for (const r of randoms) {
        assert.deepEqual([r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt()], v.ints);
        assert.deepEqual(v.bounded.map(([bound]) => [bound, r.nextIntBounded(bound)]), v.bounded);
        assert.deepEqual([r.nextLong(), r.nextLong()], v.longs.map((l) => BigInt(l)));
        assert.deepEqual([r.nextDouble(), r.nextDouble(), r.nextDouble()], v.doubles);
        assert.deepEqual([r.nextBoolean(), r.nextBoolean(), r.nextBoolean(), r.nextBoolean()], v.booleans);
      }
    });
  }

  it('rejects bounds Java rejects', () => {
    assert.throws(() => new JavaRandom(1).nextIntBounded(0), RangeError);
    assert.throws(() => new JavaRandom(1).nextIntBounded(2 ** 31), RangeError);
  });
});

describe('Nexmark generator', () => {
  const config = defaultConfig({ numEvents: 10_000 });

  it("equals Beam's Generator on the first 10,000 events of the default configuration, field for field", () => {
    const expected = fixture('beam-events-10k.jsonl.gz');
    assert.equal(expected.length, 10_000);
    const mismatches: string[] = [];
    for (let i = 0; i < expected.length; i++) {
      const g = generateEvent(config, i);
      const actual = { ...g.event, eventTimestamp: g.eventTimestamp, watermark: g.watermark };
      try {
        assert.deepStrictEqual(actual, expected[i]);
      } catch {
        if (mismatches.push(`event ${i}: ${JSON.stringify(actual)} != ${JSON.stringify(expected[i])}`) >= 3) break;
      }
    }
    assert.deepEqual(mismatches, []);
  });

  it("generateEvents equals Beam's bounded source (split into 100 generators) for 10,000 events", () => {
    const expected = fixture('beam-batch-events-10k.jsonl.gz').map(({ split: _split, eventTimestamp: ts, ...event }) => ({ event, ts }));
    const events = generateEvents(DEFAULT_CONFIG, 10_000);
    assert.equal(events.length, expected.length);
    for (let i = 0; i < events.length; i++) {
      assert.deepStrictEqual(withExtraLength(events[i]!), expected[i]!.event, `event ${i}`);
      assert.equal(eventTimestamp(events[i]!), expected[i]!.ts, `timestamp of event ${i}`);
    }
  });

  it('keeps the 1:3:46 proportions, the id sequences and the event time order', () => {
    const single = defaultConfig({ numEvents: 5000, numEventGenerators: 1 });
    const events = generateEvents(single);
    const counts = { person: 0, auction: 0, bid: 0 };
    for (const e of events) counts[e.type]++;
    assert.deepEqual(counts, { person: 100, auction: 300, bid: 4600 });
    const people = events.flatMap((e) => (e.type === 'person' ? [e.person.id] : []));
    assert.deepEqual(people, Array.from({ length: 100 }, (_, i) => 1000 + i));
    const auctions = events.flatMap((e) => (e.type === 'auction' ? [e.auction.id] : []));
    assert.deepEqual(auctions, Array.from({ length: 300 }, (_, i) => 1000 + i));
    // One generator at 10,000 events/s: 1 event per 0.1 ms.
    assert.equal(eventTimestamp(events[4999]!), single.baseTime + 499);
    for (let i = 1; i < events.length; i++) assert.ok(eventTimestamp(events[i]!) >= eventTimestamp(events[i - 1]!));
  });

  it('shuffles events within out-of-order groups and reports a watermark below every later event', () => {
    const gc = GeneratorConfig.standard(defaultConfig({ numEvents: 2000, outOfOrderGroupSize: 100, numEventGenerators: 1 }));
    const generated = Array.from({ length: 2000 }, (_, i) => generateEvent(gc, i));
    const ids = new Set(generated.map((_, i) => gc.nextAdjustedEventNumber(i)));
    assert.equal(ids.size, 2000, 'each event number exactly once');
    assert.ok(generated.some((g, i) => i > 0 && g.eventTimestamp < generated[i - 1]!.eventTimestamp), 'some out of order');
    for (let i = 0; i < generated.length; i++) {
      for (let j = i; j < Math.min(generated.length, i + 200); j++) assert.ok(generated[j]!.eventTimestamp >= generated[i]!.watermark);
    }
  });

  it('varies the rate with a sine or square shape', () => {
    for (const rateShape of ['sine', 'square'] as const) {
      const gc = GeneratorConfig.standard(defaultConfig({ rateShape, firstEventRate: 10_000, nextEventRate: 1000, numEventGenerators: 1, ratePeriodSec: 2 }));
      const delays = new Set<number>();
      let last = -Infinity;
      for (let n = 0; n < 100_000; n += 37) {
        const [ts, delay] = gc.timestampAndInterEventDelayUsForEvent(n);
        assert.ok(ts >= last);
        last = ts;
        delays.add(delay);
      }
      assert.ok(delays.size >= 2, `${rateShape}: several inter-event delays`);
    }
  });
});

describe('Nexmark bounded source', () => {
  for (const [name, config] of [
    ['default (100 generators)', defaultConfig({ numEvents: 10_000 })],
    ['7 generators, uneven', defaultConfig({ numEvents: 1003, numEventGenerators: 7 })],
    ['1 generator', defaultConfig({ numEvents: 2500, numEventGenerators: 1 })],
  ] as [string, NexmarkConfig][]) {
    it(`splits into parts that cover every event exactly once: ${name}`, async () => {
      const expected = generateEvents(config);
      const source = nexmarkBounded(config, { batchSize: 97 });
      // The whole source reads the timelines merged (in event-number order): the same events, in another order.
      const whole = await readAll(source);
      const byId = (events: NexmarkEvent[], ts: number[]) => events.map((e, i) => `${ts[i]} ${JSON.stringify(e)}`).sort();
      assert.deepStrictEqual(byId(whole.events, whole.timestamps), byId(expected, expected.map(eventTimestamp)));
      // Its watermark after each batch is below every later event, and it moves: windows can fire while it reads.
      const batches: Array<{ timestamps: number[]; watermark?: number }> = [];
      for await (const b of source.read()) batches.push({ timestamps: b.timestamps!, ...(b.watermark !== undefined ? { watermark: b.watermark } : {}) });
      let later = Infinity;
      const marks: number[] = [];
      for (let i = batches.length - 1; i >= 0; i--) {
        const wm = batches[i]!.watermark;
        if (wm !== undefined) {
          assert.ok(wm <= later, `batch ${i}: watermark ${wm} after an event at ${later}`);
          marks.push(wm);
        }
        for (const t of batches[i]!.timestamps) later = Math.min(later, t);
      }
      assert.equal(batches.at(-1)!.watermark, undefined, 'the last batch leaves the end to the engine');
      if (batches.length > 2) assert.ok(marks.at(0)! > marks.at(-1)!, 'the watermark advances');
      assert.equal(source.orderedParts, true);
      for (const bundleBytes of [1, 5_000, 100_000, 1e12]) {
        const parts = await source.split(bundleBytes);
        const read: NexmarkEvent[] = [];
        const timestamps: number[] = [];
        // Parts in event-time order (orderedParts): each watermark a part reports is below every event read after it,
        // in that part and in every later part.
        const marks: Array<{ at: number; watermark: number }> = [];
        for (const part of parts) {
          for await (const b of part.read()) {
            read.push(...b.values);
            timestamps.push(...b.timestamps!);
            if (b.watermark !== undefined) marks.push({ at: read.length, watermark: b.watermark });
          }
          const r = await readAll(part);
          const again = await part.split(bundleBytes); // a part splits only into its own events
          assert.deepStrictEqual((await Promise.all(again.map(readAll))).flatMap((x) => x.events), r.events);
        }
        // The parts read one after another are the whole merged sequence, in its order.
        assert.deepStrictEqual(read, whole.events, `bundle size ${bundleBytes}`);
        assert.deepEqual(timestamps, whole.timestamps);
        let later = Infinity;
        for (let i = timestamps.length - 1, m = marks.length - 1; i >= -1; i--) {
          for (; m >= 0 && marks[m]!.at === i + 1; m--) assert.ok(marks[m]!.watermark <= later, `bundle size ${bundleBytes}: watermark ${marks[m]!.watermark} after an event at ${later}`);
          if (i >= 0) later = Math.min(later, timestamps[i]!);
        }
        if (parts.length > 2 && bundleBytes > 1) assert.ok(marks.length >= parts.length - 1, 'every part but the last reports progress');
      }
    });
  }

  it('estimates its size from the average event sizes', async () => {
    const bytes = await nexmarkBounded(defaultConfig({ numEvents: 50_000 })).estimateSizeBytes();
    assert.equal(bytes, 1000 * 200 + 3000 * 500 + 46_000 * 100);
  });
});

describe('Nexmark unbounded source', () => {
  const config = defaultConfig({ numEvents: 3000, numEventGenerators: 7 });

  async function drain(source: ReturnType<typeof nexmarkUnbounded>, position?: number, stopAfter = Infinity) {
    const reader = await source.open(position);
    const events: NexmarkEvent[] = [];
    const timestamps: number[] = [];
    const watermarks: number[] = [];
    while (events.length < stopAfter) {
      const batch = await reader.next(0);
      if (batch === null) break;
      events.push(...batch.values);
      timestamps.push(...batch.timestamps!);
      watermarks.push(reader.watermark());
    }
    return { events, timestamps, watermarks, position: reader.position(), watermark: reader.watermark() };
  }

  it('emits every event once, in event-time order, with a watermark that never passes a later event', async () => {
    const all = await drain(nexmarkUnbounded(config, { batchSize: 50 }));
    assert.equal(all.events.length, 3000);
    const key = (e: NexmarkEvent) => JSON.stringify(e);
    assert.deepEqual(all.events.map(key).sort(), generateEvents(config).map(key).sort());
    for (let i = 1; i < all.timestamps.length; i++) assert.ok(all.timestamps[i]! >= all.timestamps[i - 1]!);
    for (let b = 0; b < all.watermarks.length - 1; b++) {
      const emitted = (b + 1) * 50;
      assert.ok(all.watermarks[b]! <= all.timestamps[emitted]!, `watermark after batch ${b}`);
      if (b > 0) assert.ok(all.watermarks[b]! >= all.watermarks[b - 1]!);
    }
    assert.ok(all.watermarks[0]! > BEGINNING_OF_TIME, 'every generator has reported after the first batch');
    assert.equal(all.watermark, MAX_TIMESTAMP);
    assert.equal(all.position, 3000);
  });

  it("interleaves the generators' events in event-number order, whatever the batch size", async () => {
    const uneven = defaultConfig({ numEvents: 1003, numEventGenerators: 7 });
    const parts = GeneratorConfig.standard(uneven).split(7);
    const per = parts[0]!.maxEvents;
    const expected = Array.from({ length: 1003 }, (_, i) =>
      i < per * 7 ? generateEvent(parts[i % 7]!, Math.floor(i / 7)) : generateEvent(parts[6]!, per + i - per * 7),
    );
    for (const batchSize of [1, 50, 97, 5000]) {
      const got = await drain(nexmarkUnbounded(uneven, { batchSize }));
      assert.deepStrictEqual(got.events, expected.map((g) => g.event), `batch size ${batchSize}`);
      assert.deepEqual(got.timestamps, expected.map((g) => g.eventTimestamp));
    }
  });

  it('resumes exactly at a position', async () => {
    const source = nexmarkUnbounded(config, { batchSize: 64 });
    const all = await drain(source);
    for (const stopAfter of [1, 64, 640, 2944]) {
      const first = await drain(source, undefined, stopAfter);
      const rest = await drain(source, first.position);
      assert.equal(first.position, first.events.length);
      assert.deepStrictEqual([...first.events, ...rest.events], all.events);
      assert.deepEqual([...first.timestamps, ...rest.timestamps], all.timestamps);
    }
    await assert.rejects(source.open(3001), RangeError);
  });

  it('holds the watermark back by watermarkHoldbackSec', async () => {
    const plain = await drain(nexmarkUnbounded(config, { batchSize: 500 }));
    const held = await drain(nexmarkUnbounded({ ...config, watermarkHoldbackSec: 1 }, { batchSize: 500 }));
    assert.deepEqual(held.watermarks.slice(1, -1), plain.watermarks.slice(1, -1).map((w) => w - 1000));
  });

  it('with rate limiting, emits events only when their time has come on the wallclock', async () => {
    let clock = 1_000_000;
    const source = nexmarkUnbounded({ ...config, isRateLimited: true }, { now: () => clock });
    const reader = await source.open(undefined);
    const first = await reader.next(0);
    // Each of the 7 generators makes an event every 0.7 ms, timestamped in whole ms: its first two are due at once.
    assert.equal(first?.values.length, 14);
    assert.equal(await reader.next(0), null, 'the next events are 1 ms ahead: not due yet');
    clock += 10; // events 2..15 of each generator (timestamped up to 10 ms) are now due
    const next = await reader.next(0);
    assert.equal(next?.values.length, 14 * 7);
    assert.equal(reader.position(), 112);
  });
});
