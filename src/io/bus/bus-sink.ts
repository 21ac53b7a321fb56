/**
 * `io.bus.write(topic, options)`: publishes a collection to a topic of Riffle's bus through the engine's awaited sink
 * primitive. Elements are encoded synchronously as they arrive (a value that cannot be encoded fails the job, naming
 * it); each bundle's flush publishes them in calls of at most 1000 messages / 8 MB and resolves once the bus answered
 * that they are durable (per its fsync policy). A publish the bus refuses (e.g. a schema mismatch) fails the job with
 * the bus's reason. Messages with an ordering key are published in element order within a bundle.
 *
 * Delivery: at-least-once. A job that fails after a flush has published that flush's messages; a rerun publishes
 * them again — give them an id attribute (`attributes`) and a topic with `messageDedup` to drop the repeats.
 */
import { ConfigError, type Sink, type SinkContext, type SinkWriter } from '../../model/index.ts';
import { writeTo, type SinkDone } from '../../transforms/index.ts';
import type { PCollection, PTransform } from '../../model/index.ts';
import type { PublishMessage } from './bus-api.ts';
import { acquireBus, checkBusLocation, type BusHandle, type BusLocation } from './bus-handle.ts';
import type { BusDataFormat } from './bus-read-options.ts';
import { validateName } from './names.ts';

export interface BusWriteOptions<T> {
  /** A bus directory, a server URL, or an opened Bus (default $RIFFLE_BUS_URL, else `.riffle/bus`). */
  readonly bus?: BusLocation;
  /** `json` (default): JSON.stringify; `text`: the string itself; `bytes`: a Uint8Array as is. */
  readonly format?: BusDataFormat;
  /** The message's attributes. */
  readonly attributes?: (value: T) => Readonly<Record<string, string>>;
  /** The message's ordering key (messages with one key reach an ordering subscription in publish order). */
  readonly orderingKey?: (value: T) => string | undefined;
}

const WRITE_KEYS = ['bus', 'format', 'attributes', 'orderingKey'];
const MAX_CALL_MESSAGES = 1000;
const MAX_CALL_BYTES = 8 * 1024 * 1024;

export class BusSink<T> implements Sink<T> {
  readonly guarantee = 'at-least-once';
  constructor(
    readonly topic: string,
    private readonly o: BusWriteOptions<T> & { format: BusDataFormat },
  ) {}

  describe(): string {
    return `bus(${this.topic})`;
  }

  async open(context: SinkContext): Promise<SinkWriter<T>> {
    const handle = await acquireBus(this.o.bus);
    try {
      await handle.bus.getTopic(this.topic);
    } catch (e) {
      await handle.release();
      throw e;
    }
    return new BusWriter(this.topic, this.o, handle, context.step);
  }
}

class BusWriter<T> implements SinkWriter<T> {
  private buffer: PublishMessage[] = [];
  private bytes: number[] = [];
  private released = false;
  published = 0;

  constructor(
    private readonly topic: string,
    private readonly o: BusWriteOptions<T> & { format: BusDataFormat },
    private readonly handle: BusHandle,
    private readonly step: string,
  ) {}

  write(value: T): void {
    const data = this.encode(value);
    const attributes = this.o.attributes?.(value);
    const orderingKey = this.o.orderingKey?.(value);
    if (orderingKey !== undefined && typeof orderingKey !== 'string') throw new Error(`orderingKey returned ${JSON.stringify(orderingKey)}, not a string`);
    const m: PublishMessage = { data, ...(attributes !== undefined ? { attributes } : {}), ...(orderingKey !== undefined && orderingKey !== '' ? { orderingKey } : {}) };
    this.buffer.push(m);
    this.bytes.push(typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);
  }

  private encode(value: T): Uint8Array | string {
    switch (this.o.format) {
      case 'bytes':
        if (!(value instanceof Uint8Array)) throw new Error(`format 'bytes' needs a Uint8Array, not ${typeof value}`);
        return value;
      case 'text':
        if (typeof value !== 'string') throw new Error(`format 'text' needs a string, not ${typeof value}`);
        return value;
      default: {
        const s = JSON.stringify(value);
        if (s === undefined) throw new Error(`the value cannot be written as JSON (${typeof value})`);
        return s;
      }
    }
  }

  flush(): Promise<void> | undefined {
    if (this.buffer.length === 0) return undefined;
    const msgs = this.buffer;
    const sizes = this.bytes;
    this.buffer = [];
    this.bytes = [];
    return this.publishAll(msgs, sizes);
  }

  private async publishAll(msgs: PublishMessage[], sizes: number[]): Promise<void> {
    let from = 0;
    while (from < msgs.length) {
      let to = from;
      let bytes = 0;
      while (to < msgs.length && to - from < MAX_CALL_MESSAGES && (to === from || bytes + sizes[to]! <= MAX_CALL_BYTES)) bytes += sizes[to++]!;
      // One call at a time: ordering keys keep element order, and the bus acknowledges each call once durable.
      await this.handle.bus.publish(this.topic, msgs.slice(from, to));
      this.published += to - from;
      from = to;
    }
  }

  async finish(): Promise<void> {
    await this.release();
  }

  async abort(): Promise<void> {
    this.buffer = [];
    await this.release();
  }

  private async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.handle.release();
  }

  toString(): string {
    return `${this.step} → bus(${this.topic})`;
  }
}

/**
 * Publishes a collection to a topic of Riffle's bus (at-least-once: see the module comment).
 *
 * @example
 *   alerts.apply(io.bus.write('alerts', { bus: '.riffle/bus', attributes: (a) => ({ sensor: a.sensor }) }));
 */
export function write<T>(topic: string, options: BusWriteOptions<T> = {}): PTransform<PCollection<T>, SinkDone> {
  const what = `io.bus.write('${topic}')`;
  try {
    validateName('topic', topic);
  } catch (e) {
    throw new ConfigError(`${what}: ${(e as Error).message}`);
  }
  if (options === null || typeof options !== 'object') throw new ConfigError(`${what}: options must be an object`);
  for (const k of Object.keys(options)) if (!WRITE_KEYS.includes(k)) throw new ConfigError(`${what}: unknown option '${k}'`, { hint: `options are ${WRITE_KEYS.join(', ')}` });
  checkBusLocation(options.bus, what);
  const format = options.format ?? 'json';
  if (!['json', 'text', 'bytes'].includes(format)) throw new ConfigError(`${what}: option 'format' must be json, text or bytes, not ${JSON.stringify(format)}`);
  for (const k of ['attributes', 'orderingKey'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'function') throw new ConfigError(`${what}: option '${k}' must be a function of the element`);
  }
  return writeTo(new BusSink<T>(topic, { ...options, format }));
}
