// Streaming from Riffle's bus, the seed's IoT scenario: sensor readings are published to a topic of the embedded bus
// (by this example itself: a fixed number, with event times), and a streaming pipeline reads the subscription,
//   - archives the raw readings as JSON Lines, one file per 5-minute window of event time (${output}/archive/),
//   - computes 5-minute windows per sensor (count, avg, min, max of the temperature) into a Delta table
//     (${output}/sensor-windows),
//   - sends malformed messages (undecodable data, an unparseable timestamp attribute) with their raw bytes to
//     ${output}/errors-*.jsonl, and drops republished duplicates (same `id` attribute),
// and ends by itself: it publishes first, then the read drains the subscription (`until: 'drained'`). Messages are
// acked per bundle once every sink's flush of it returned (see src/io/bus/README.md, "Acks", for what that covers).
//
// The readings' event times lie in the last hour (a fleet catching up on an hour of buffered readings), so the read
// allows 2 h of skew between event time and publish time: its watermark (the oldest unacked publish time − 2 h,
// as Dataflow estimates it) never passes an unread reading, and the windows fire when the backlog is drained.
//
//   node --import tsx src/cli/main.ts run examples/streaming-bus.ts --output=out/streaming-bus
//   node bin/riffle.js run examples/streaming-bus.ts --output=out/streaming-bus [--readings=10000 --sensors=20]
import { isMainThread } from 'node:worker_threads';
import { combine, io, parDo, Pipeline, trigger, window, type ErrorRecord, type IntervalWindow, type KV } from 'riffle';

const MINUTE = 60_000;
const WINDOW = 5 * MINUTE;
export const TOPIC = 'sensor-readings';
export const SUBSCRIPTION = 'sensor-windows';

/** One published reading (the message data); its event time is also in the `ts` attribute, its id in `id`. */
export interface Reading {
  readonly id: string;
  readonly sensor: string;
  /** Event time, ms since the epoch. */
  readonly ts: number;
  readonly temperature: number;
}

/** One row of the Delta table: a sensor's 5-minute window. */
export interface WindowRow {
  readonly sensor: string;
  readonly window_start: Date;
  readonly window_end: Date;
  readonly count: bigint;
  readonly avg: number;
  readonly min: number;
  readonly max: number;
}

/** Where the default event times start: 55 minutes ago, rounded down to 5 minutes (so about 11 windows per sensor). */
export function defaultStart(now = Date.now()): number {
  return Math.floor((now - 55 * MINUTE) / WINDOW) * WINDOW;
}

/**
 * `count` readings of `sensors` sensors, deterministic for a given start: reading i is sensor i mod `sensors`, the
 * sensors report in turn every `spanMs / (count / sensors)` ms over 50 minutes, temperatures from a seeded generator.
 */
export function generateReadings(count: number, sensors: number, start: number): Reading[] {
  let seed = 0x2f6b_1a3d;
  const random = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rounds = Math.ceil(count / sensors);
  const step = Math.max(1, Math.floor((50 * MINUTE) / rounds));
  return Array.from({ length: count }, (_, i) => {
    const s = i % sensors;
    const round = Math.floor(i / sensors);
    const temperature = Math.round((18 + s * 0.5 + 4 * Math.sin(round / 40) + (random() - 0.5) * 3) * 100) / 100;
    return { id: `r${String(i).padStart(6, '0')}`, sensor: `sensor-${String(s).padStart(2, '0')}`, ts: start + round * step + s, temperature };
  });
}

/** What the example publishes besides the readings: malformed messages, and readings republished (duplicates). */
export const MALFORMED = [
  { data: '{"sensor": "sensor-03", "temperature": 21.', attributes: { id: 'bad-json', ts: '0' } },
  { data: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), attributes: { id: 'bad-utf8', ts: '0' } },
  { data: '{"sensor":"sensor-04","temperature":20}', attributes: { id: 'bad-ts', ts: 'yesterday noon' } },
] as const;
export const DUPLICATES = 5;

/** Publishes the readings (each with `id` and `ts` attributes), the malformed messages and a few duplicates. */
async function publishReadings(busDir: string, readings: readonly Reading[]): Promise<void> {
  const bus = await io.bus.openBus({ dir: busDir });
  try {
    if (!(await bus.listTopics()).some((t) => t.name === TOPIC)) await bus.createTopic(TOPIC);
    if (!(await bus.listSubscriptions(TOPIC)).some((s) => s.name === SUBSCRIPTION)) {
      await bus.createSubscription(SUBSCRIPTION, { topic: TOPIC, ackDeadline: '60s' });
    }
    const publisher = io.bus.createPublisher(bus, TOPIC);
    const message = (r: Reading) => ({ data: JSON.stringify(r), attributes: { id: r.id, ts: String(r.ts), sensor: r.sensor } });
    const published = readings.map((r) => publisher.publish(message(r)));
    published.push(...MALFORMED.map((m) => publisher.publish(m)));
    published.push(...readings.slice(0, DUPLICATES).map((r) => publisher.publish(message(r))));
    // close() sends the last partial batch now (rather than after the batching delay) and waits for it.
    await publisher.close();
    await Promise.all(published);
    console.log(`Published ${readings.length} readings of ${new Set(readings.map((r) => r.sensor)).size} sensors, ${MALFORMED.length} malformed messages and ${DUPLICATES} duplicates to '${TOPIC}' (bus ${busDir}).`);
  } finally {
    await bus.close();
  }
}

export default Pipeline.define(
  {
    description: 'IoT readings through the embedded bus: raw archive, 5-minute windows per sensor into a Delta table.',
    params: {
      output: { type: 'string', default: 'out/streaming-bus', description: 'output directory (the bus lives in <output>/bus unless --bus is given)' },
      bus: { type: 'string', default: '', description: 'the bus directory (default <output>/bus)' },
      readings: { type: 'integer', default: 10_000, description: 'how many readings to publish' },
      sensors: { type: 'integer', default: 20, description: 'how many sensors' },
      start: { type: 'integer', default: 0, description: 'event time of the first reading, ms (default: 55 minutes ago)' },
    },
  },
  async (p, { output, bus, readings: count, sensors, start }) => {
    const busDir = bus === '' ? `${output}/bus` : bus;
    // Published once, by the process that runs the job (a job on several workers builds this pipeline in each).
    if (isMainThread) await publishReadings(busDir, generateReadings(count, sensors, start === 0 ? defaultStart() : start));

    const { main: readings, errors } = p.apply(
      'ReadReadings',
      io.bus.read<Reading>(SUBSCRIPTION, { bus: busDir, timestampAttribute: 'ts', idAttribute: 'id', allowedSkew: '2h', until: 'drained' }).withErrors(),
    );
    // Errors have no event time to window by: a file per minute of processing time (and the rest at the end).
    errors
      .apply('ErrorsEveryMinute', window.into<ErrorRecord<string>>(window.global(), { trigger: trigger.repeatedly(trigger.afterProcessingTime('1m')) }))
      .apply('WriteErrors', io.files.writeJsonl(`${output}/errors`, { numShards: 1 }));

    const windowed = readings.apply('Window5m', window.into<Reading>(window.fixed('5m')));
    windowed.apply('ArchiveRaw', io.files.writeJsonl(`${output}/archive/readings`, { numShards: 1 }));
    windowed
      .apply(
        'StatsPerSensor',
        combine.perKey(
          (r: Reading) => r.sensor,
          combine.struct({
            count: combine.count<Reading>(),
            avg: combine.mean((r: Reading) => r.temperature),
            min: combine.min((r: Reading) => r.temperature),
            max: combine.max((r: Reading) => r.temperature),
          }),
        ),
      )
      .apply(
        'ToRow',
        parDo<KV<string, { count: number; avg: number; min: number | undefined; max: number | undefined }>, WindowRow>({
          process({ key, value }, ctx) {
            const w = ctx.window as IntervalWindow;
            ctx.output({ sensor: key, window_start: new Date(w.start), window_end: new Date(w.end), count: BigInt(value.count), avg: value.avg, min: value.min!, max: value.max! });
          },
        }),
      )
      .apply('WriteWindows', io.delta.write<WindowRow>(`${output}/sensor-windows`));
  },
);
