/**
 * A bounded single-producer/single-consumer byte ring in a SharedArrayBuffer, carrying frames between two threads:
 * `[u32 payload length][u32 aux][u8 kind][3 bytes padding][payload]`, little-endian, wrapping around the end.
 *
 * One ring per (sender, receiver) pair and exchange, so neither side takes a lock: the writer alone advances the write
 * position, the reader alone the read position (both are free-running uint32 counters; capacity is a power of two).
 * A frame larger than the free space (or than the whole ring) streams through in pieces: the reader gathers them.
 *
 * Nobody spins and nobody blocks a thread: a writer that finds the ring full awaits `Atomics.waitAsync` on the read
 * position; a reader with nothing to read awaits its **doorbell**, one Int32 cell shared by all the rings a consumer
 * reads, which every writer increments after publishing (notifying only when a reader sleeps). While a side waits it
 * holds a timer so that the thread's event loop stays alive (a pending `waitAsync` alone does not keep Node running).
 *
 * @example
 *   const ring = allocateRing(1 << 16); const bell = allocateDoorbell();
 *   const w = new RingWriter(ring, bell); const r = new RingReader(ring);     // in two threads, normally
 *   await w.writeFrame(1, 0, payload); r.poll()  // { kind: 1, aux: 0, payload }
 */
import { RiffleError } from '../../model/index.ts';

/** The header of a ring: write position, read position, state, writer-waiting flag (Int32 cells, 64 bytes). */
const HEADER_BYTES = 64;
const WRITE = 0;
const READ = 1;
const STATE = 2;
const WRITER_WAITING = 3;
const ABORTED = 1;

/** Doorbell cells: ring count, sleeping readers, aborted flag. */
const BELL = 0;
const SLEEPERS = 1;
const BELL_ABORTED = 2;

export const FRAME_HEADER_BYTES = 12;
/** The largest frame payload (1 GiB): a larger length can only be a damaged header. */
export const MAX_FRAME_BYTES = 1 << 30;

/** Thrown in every waiting side once the job is being stopped (a worker failed or the coordinator cancelled). */
export class ExchangeAbortedError extends RiffleError {
  constructor(what: string) {
    super('EXCHANGE_ABORTED', `${what}: the exchange was aborted (the job is stopping)`, { domain: 'internal' });
  }
}

/** A frame that cannot have been written by a RingWriter: a bug, never bad user data. */
export class ExchangeFrameError extends RiffleError {
  constructor(message: string) {
    super('EXCHANGE_FRAME_CORRUPT', `exchange: ${message}`, { domain: 'internal', hint: 'this is a bug in Riffle: report it with the pipeline' });
  }
}

type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t?: number): WaitAsyncResult }).waitAsync;

/** Awaits a change of `cells[index]` away from `value`, keeping the event loop alive meanwhile. */
async function waitChange(cells: Int32Array, index: number, value: number): Promise<void> {
  const r = waitAsync(cells, index, value);
  if (!r.async) return;
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    await r.value;
  } finally {
    clearInterval(keepAlive);
  }
}

/** A ring's shared memory: header + `capacity` bytes (a power of two, 64 bytes to 1 GiB). */
export function allocateRing(capacity: number): SharedArrayBuffer {
  if (!Number.isInteger(capacity) || capacity < 64 || capacity > 1 << 30 || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`ring capacity must be a power of two from 64 bytes to 1 GiB, got ${capacity}`);
  }
  return new SharedArrayBuffer(HEADER_BYTES + capacity);
}

export function allocateDoorbell(): SharedArrayBuffer {
  return new SharedArrayBuffer(16);
}

/** Marks a ring aborted and wakes its waiting writer (used by whoever stops the job; any thread may call it). */
export function abortRing(ring: SharedArrayBuffer): void {
  const h = new Int32Array(ring, 0, HEADER_BYTES / 4);
  Atomics.store(h, STATE, ABORTED);
  Atomics.notify(h, READ);
}

/** The consumer's wake-up cell, shared by all the rings it reads. */
export class Doorbell {
  private readonly cells: Int32Array;
  constructor(readonly buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer);
  }
  /** The current count: read it before polling, and wait on it if the poll found nothing. */
  current(): number {
    return Atomics.load(this.cells, BELL);
  }
  get aborted(): boolean {
    return Atomics.load(this.cells, BELL_ABORTED) === 1;
  }
  /** Resolves once some writer rang after `seen` was read (at once if one already did). */
  async wait(seen: number): Promise<void> {
    if (this.aborted) throw new ExchangeAbortedError('reading an exchange');
    Atomics.add(this.cells, SLEEPERS, 1);
    try {
      if (Atomics.load(this.cells, BELL) === seen) await waitChange(this.cells, BELL, seen);
    } finally {
      Atomics.sub(this.cells, SLEEPERS, 1);
    }
    if (this.aborted) throw new ExchangeAbortedError('reading an exchange');
  }
  ring(): void {
    Atomics.add(this.cells, BELL, 1);
    if (Atomics.load(this.cells, SLEEPERS) > 0) Atomics.notify(this.cells, BELL);
  }
  abort(): void {
    Atomics.store(this.cells, BELL_ABORTED, 1);
    Atomics.add(this.cells, BELL, 1);
    Atomics.notify(this.cells, BELL);
  }
}

abstract class RingSide {
  protected readonly header: Int32Array;
  protected readonly data: Uint8Array;
  protected readonly capacity: number;
  protected readonly mask: number;
  constructor(readonly buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.data = new Uint8Array(buffer, HEADER_BYTES);
    this.capacity = this.data.length;
    this.mask = this.capacity - 1;
  }
  get aborted(): boolean {
    return Atomics.load(this.header, STATE) === ABORTED;
  }
}

/** The producer side of a ring. Only one thread may write a given ring. */
export class RingWriter extends RingSide {
  private readonly bell: Doorbell;
  private readonly head = new Uint8Array(FRAME_HEADER_BYTES);
  private readonly headView = new DataView(this.head.buffer);
  /** Bytes written, including frames not fully written yet (our own copy of the write position). */
  private written: number;
  /** Bytes published without ringing the reader's bell. */
  private unannounced = 0;
  private readonly wakeEvery: number;

  constructor(buffer: SharedArrayBuffer, doorbell: SharedArrayBuffer) {
    super(buffer);
    this.bell = new Doorbell(doorbell);
    this.written = Atomics.load(this.header, WRITE) >>> 0;
    this.wakeEvery = Math.max(FRAME_HEADER_BYTES, this.capacity >>> 2);
  }

  /** Bytes the writer may write right now. */
  free(): number {
    return this.capacity - ((this.written - (Atomics.load(this.header, READ) >>> 0)) >>> 0);
  }

  /**
   * Writes a whole frame if it fits now; false (nothing written) otherwise. With `wake` false the reader is not woken
   * for this frame alone (see `wake()`): a producer in the middle of a bundle of frames saves a cross-thread wake-up
   * per frame; the bell rings anyway once a quarter of the ring is unannounced, and before the writer waits.
   */
  tryWriteFrame(kind: number, aux: number, payload: Uint8Array, wake = true): boolean {
    if (this.aborted) throw new ExchangeAbortedError('writing an exchange');
    if (payload.length > MAX_FRAME_BYTES) throw new RangeError(`exchange: a frame of ${payload.length} bytes exceeds ${MAX_FRAME_BYTES}; ship smaller bundles`);
    const total = FRAME_HEADER_BYTES + payload.length;
    if (total > this.free()) return false;
    this.putHeader(kind, aux, payload.length);
    this.copyIn(payload, 0, payload.length);
    this.publish(wake);
    return true;
  }

  /** Wakes the reader for the frames written without waking it. */
  wake(): void {
    if (this.unannounced === 0) return;
    this.unannounced = 0;
    this.bell.ring();
  }

  /** Writes a frame of any size, awaiting space as the reader frees it (large frames go through in pieces). */
  async writeFrame(kind: number, aux: number, payload: Uint8Array): Promise<void> {
    if (this.tryWriteFrame(kind, aux, payload)) return;
    await this.waitFree(Math.min(this.capacity, FRAME_HEADER_BYTES + payload.length));
    this.putHeader(kind, aux, payload.length);
    let done = 0;
    for (;;) {
      const n = Math.min(payload.length - done, this.free());
      this.copyIn(payload, done, n);
      done += n;
      this.publish(true);
      if (done === payload.length) return;
      await this.waitFree(Math.min(this.capacity, payload.length - done));
    }
  }

  private async waitFree(bytes: number): Promise<void> {
    this.wake();
    for (;;) {
      if (this.aborted) throw new ExchangeAbortedError('writing an exchange');
      if (this.free() >= bytes) return;
      Atomics.store(this.header, WRITER_WAITING, 1);
      const read = Atomics.load(this.header, READ);
      if (this.capacity - ((this.written - (read >>> 0)) >>> 0) >= bytes) continue;
      await waitChange(this.header, READ, read);
      Atomics.store(this.header, WRITER_WAITING, 0);
    }
  }

  private putHeader(kind: number, aux: number, length: number): void {
    this.headView.setUint32(0, length, true);
    this.headView.setUint32(4, aux >>> 0, true);
    this.headView.setUint8(8, kind);
    this.copyIn(this.head, 0, FRAME_HEADER_BYTES);
  }

  private copyIn(src: Uint8Array, from: number, n: number): void {
    const at = this.written & this.mask;
    const first = Math.min(n, this.capacity - at);
    this.data.set(first === src.length && from === 0 ? src : src.subarray(from, from + first), at);
    if (n > first) this.data.set(src.subarray(from + first, from + n), 0);
    this.written = (this.written + n) >>> 0;
  }

  private publish(wake: boolean): void {
    const before = Atomics.load(this.header, WRITE) >>> 0;
    Atomics.store(this.header, WRITE, this.written | 0);
    this.unannounced += (this.written - before) >>> 0;
    if (wake || this.unannounced >= this.wakeEvery) {
      this.unannounced = 0;
      this.bell.ring();
    }
  }
}

/** A frame read from a ring: its payload is a private copy (the ring's bytes are reused at once). */
export interface Frame {
  readonly kind: number;
  readonly aux: number;
  readonly payload: Uint8Array;
}

/** The consumer side of a ring. Only one thread may read a given ring. */
export class RingReader extends RingSide {
  private read: number;
  private readonly head = new Uint8Array(FRAME_HEADER_BYTES);
  private readonly headView = new DataView(this.head.buffer);
  /** A frame whose payload is still arriving in pieces. */
  private partial: { kind: number; aux: number; payload: Uint8Array; filled: number } | undefined;

  constructor(buffer: SharedArrayBuffer) {
    super(buffer);
    this.read = Atomics.load(this.header, READ) >>> 0;
  }

  /** The next complete frame, or undefined when none is complete yet. Never waits. */
  poll(): Frame | undefined {
    const written = Atomics.load(this.header, WRITE) >>> 0;
    let available = (written - this.read) >>> 0;
    let p = this.partial;
    if (p === undefined) {
      if (available < FRAME_HEADER_BYTES) return undefined;
      this.copyOut(this.head, 0, FRAME_HEADER_BYTES);
      available -= FRAME_HEADER_BYTES;
      const length = this.headView.getUint32(0, true);
      if (length > MAX_FRAME_BYTES) throw new ExchangeFrameError(`a frame header claims ${length} bytes (at most ${MAX_FRAME_BYTES})`);
      const frame = { kind: this.headView.getUint8(8), aux: this.headView.getUint32(4, true), payload: new Uint8Array(length), filled: 0 };
      if (length <= available) {
        this.copyOut(frame.payload, 0, length);
        this.release();
        return frame;
      }
      p = this.partial = frame;
    }
    const n = Math.min(available, p.payload.length - p.filled);
    this.copyOut(p.payload, p.filled, n);
    p.filled += n;
    this.release();
    if (p.filled < p.payload.length) return undefined;
    this.partial = undefined;
    return p;
  }

  private copyOut(dst: Uint8Array, at: number, n: number): void {
    const from = this.read & this.mask;
    const first = Math.min(n, this.capacity - from);
    dst.set(this.data.subarray(from, from + first), at);
    if (n > first) dst.set(this.data.subarray(0, n - first), at + first);
    this.read = (this.read + n) >>> 0;
  }

  private release(): void {
    Atomics.store(this.header, READ, this.read | 0);
    // The writer clears its flag itself once awake: clearing it here could race with a writer about to sleep.
    if (Atomics.load(this.header, WRITER_WAITING) === 1) Atomics.notify(this.header, READ);
  }
}
