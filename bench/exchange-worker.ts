// The worker side of bench/exchange.ts: producers send KV<string, bytes> elements through an exchange (the ring
// channel, or transferred ArrayBuffers over a MessagePort for comparison); consumers decode and count them.
import type { MessagePort } from 'node:worker_threads';
import { ByteReader, ByteWriter, coders, GLOBAL_WINDOWS, NO_FIRING, type KV } from '../src/model/index.ts';
import { WindowedValueCodec, type ExchangeTarget, type WorkerContext } from '../src/runner/exchange/index.ts';

export interface ExchangeBenchData {
  transport: 'ring' | 'postMessage';
  /** Workers that produce; every worker consumes what is sent to it. */
  producers: number[];
  /** 'single': everything to worker 1 (1→1); 'hash': by key group (all-to-all). */
  partitioning: 'single' | 'hash';
  elements: number;
  valueBytes: number;
  bundleBytes: number;
  /** postMessage only: this worker's port to worker 1 (producer) or from worker 0 (consumer). */
  port?: MessagePort;
}

export interface ExchangeBenchResult {
  startedAt: number;
  endedAt: number;
  received: number;
  payloadBytes: number;
  shippedBytes: number;
}

const coder = coders.kv(coders.string(), coders.bytes());
const now = () => performance.timeOrigin + performance.now();
/** Bundles a postMessage producer may have in flight before it waits for the consumer (its bounded buffer). */
const CREDITS = 16;

export async function runWorker(ctx: WorkerContext): Promise<ExchangeBenchResult> {
  const data = ctx.data as ExchangeBenchData;
  const producing = data.producers.includes(ctx.index);
  const value = new Uint8Array(data.valueBytes).fill(7);
  const keys = Array.from({ length: 10_000 }, (_, i) => `key-${i}`);
  let received = 0;
  let payloadBytes = 0;
  let go!: () => void;
  const started = new Promise<void>((r) => (go = r));
  // The first command only confirms the worker is loaded; the second starts the measurement.
  ctx.onControl((command) => {
    if ((command as { go?: boolean }).go) go();
  });
  await started;
  const startedAt = now();

  if (data.transport === 'postMessage') return postMessageTransport(ctx, data, producing, keys, value, startedAt);

  const target: ExchangeTarget = {
    receiver: {
      process(v) {
        received++;
        payloadBytes += (v as KV<string, Uint8Array>).value.length;
      },
    },
    watermark() {},
    idle() {},
    barrier() {},
    end() {},
  };
  const input = ctx.exchangeInput('bench', { coder, target });
  const reading = input.run();
  const out = ctx.exchangeOutput('bench', { coder, partitioning: data.partitioning === 'single' ? { kind: 'single', worker: 1 } : { kind: 'hash' }, bundleBytes: data.bundleBytes });
  if (producing) {
    for (let i = 0; i < data.elements; i++) {
      out.process({ key: keys[i % keys.length]!, value }, i, GLOBAL_WINDOWS, NO_FIRING);
      if ((i & 1023) === 1023) {
        const ready = out.ready();
        if (ready) await ready;
      }
    }
  }
  out.end();
  await out.closed();
  await reading;
  return { startedAt, endedAt: now(), received, payloadBytes, shippedBytes: input.bytesIn };
}

/** The alternative transport: each bundle's bytes transferred (not copied) to the consumer, with a credit window. */
async function postMessageTransport(ctx: WorkerContext, data: ExchangeBenchData, producing: boolean, keys: string[], value: Uint8Array, startedAt: number): Promise<ExchangeBenchResult> {
  const port = data.port!;
  const codec = new WindowedValueCodec(coder as never);
  let received = 0;
  let payloadBytes = 0;
  let shippedBytes = 0;
  if (producing) {
    let credits = CREDITS;
    let waiting: (() => void) | undefined;
    port.on('message', () => {
      credits++;
      waiting?.();
    });
    const w = new ByteWriter();
    let count = 0;
    const ship = async (): Promise<void> => {
      while (credits === 0) await new Promise<void>((r) => (waiting = r));
      credits--;
      const bytes = w.toBytes();
      shippedBytes += bytes.length;
      port.postMessage({ count, bytes }, [bytes.buffer as ArrayBuffer]);
      w.length = 0;
      count = 0;
    };
    for (let i = 0; i < data.elements; i++) {
      codec.encode({ key: keys[i % keys.length]!, value }, i, GLOBAL_WINDOWS, NO_FIRING, w);
      count++;
      if (w.length >= data.bundleBytes) await ship();
    }
    if (count > 0) await ship();
    port.postMessage({ end: true });
    while (credits < CREDITS) await new Promise<void>((r) => (waiting = r));
    port.close();
    return { startedAt, endedAt: now(), received: 0, payloadBytes: 0, shippedBytes };
  }
  if (ctx.index !== 1) {
    port?.close();
    return { startedAt, endedAt: now(), received: 0, payloadBytes: 0, shippedBytes: 0 };
  }
  await new Promise<void>((resolve) => {
    port.on('message', (m: { end?: boolean; count: number; bytes: Uint8Array }) => {
      if (m.end) {
        port.close();
        resolve();
        return;
      }
      const r = new ByteReader(m.bytes);
      for (let k = 0; k < m.count; k++) {
        codec.decode(r, (v) => {
          received++;
          payloadBytes += (v as KV<string, Uint8Array>).value.length;
        });
      }
      shippedBytes += m.bytes.length;
      port.postMessage(0);
    });
  });
  return { startedAt, endedAt: now(), received, payloadBytes, shippedBytes };
}
