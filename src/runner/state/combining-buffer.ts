/**
 * The spillable combining buffer behind combinePerKey (and the pre-combine of hot keys before an exchange): inputs
 * fold into one accumulator per key as they arrive, so a hot key costs one accumulator however many elements it has;
 * past the budget the accumulators are encoded with the accumulator coder and written as one sorted run; `results()`
 * merges the runs and yields each key once, in key-byte order, with its merged accumulator (or the extracted output).
 *
 * I/O as in GroupingBuffer: `add` stays in memory; `await flush()` at bundle boundaries writes a run asynchronously
 * when `needsFlush`; past twice the budget `add` spills synchronously.
 * @example
 *   const buf = new CombiningBuffer({ budget, combineFn: sum, accumulatorCoder: coders.varInt(), keyCoder: coders.string() });
 *   buf.addValue('a', 1); buf.addValue('a', 2);
 *   for (const { key, output } of buf.results()) ...  // { key: 'a', output: 3 }
 */
import { ByteReader, ByteWriter, type Coder } from '../../model/index.ts';
import type { StateCombineFn } from '../../semantics/index.ts';
import { KEY_OVERHEAD, latin1, latin1Bytes, SpillingBuffer, type SpillOptions } from './spilling-buffer.ts';
import type { RunWriter } from './run-file.ts';
import { RunMerger } from './run-merge.ts';

export interface CombiningBufferOptions<K, I, A, O> extends SpillOptions {
  combineFn: StateCombineFn<I, A, O>;
  accumulatorCoder: Coder<A>;
  keyCoder?: Coder<K>;
  /** Heap bytes one accumulator takes (estimate; default: measured by encoding a sample of accumulators). */
  accumulatorBytes?: number;
}

export class CombiningBuffer<K, I, A, O> extends SpillingBuffer {
  private accs = new Map<string, A>();
  private readonly writer = new ByteWriter();
  private finished = false;
  private perAcc: number;
  private sampled = 0;

  constructor(private readonly options: CombiningBufferOptions<K, I, A, O>) {
    super(options);
    this.perAcc = options.accumulatorBytes ?? 64;
  }

  /** Keys held in memory now. */
  get keysInMemory(): number {
    return this.accs.size;
  }

  private slot(key: string): A | undefined {
    const a = this.accs.get(key);
    if (a === undefined) this.account(KEY_OVERHEAD + key.length + this.perAcc);
    return a;
  }

  /** Folds one input into its key's accumulator (key as bytes or a latin1 string of them). */
  add(key: Uint8Array | string, input: I): void {
    if (this.finished) throw new Error('CombiningBuffer: add after results()');
    this.checkNotFlushing();
    const k = typeof key === 'string' ? key : latin1(key);
    const fn = this.options.combineFn;
    const a = this.slot(k);
    const next = fn.addInput(a === undefined ? fn.createAccumulator() : a, input);
    this.accs.set(k, next);
    if (a === undefined) this.sample(next);
    if (this.mustSpill) this.spillSync();
  }

  /** Merges an accumulator (combined elsewhere: before an exchange, in another worker) into its key's. */
  addAccumulator(key: Uint8Array | string, acc: A): void {
    if (this.finished) throw new Error('CombiningBuffer: add after results()');
    this.checkNotFlushing();
    const k = typeof key === 'string' ? key : latin1(key);
    const a = this.slot(k);
    this.accs.set(k, a === undefined ? acc : this.options.combineFn.mergeAccumulators([a, acc]));
    if (a === undefined) this.sample(acc);
    if (this.mustSpill) this.spillSync();
  }

  /** `add` with the key encoded by the buffer's key coder. */
  addValue(key: K, input: I): void {
    this.add(this.encodeKey(key), input);
  }

  private encodeKey(key: K): string {
    const kc = this.options.keyCoder;
    if (!kc) throw new Error('CombiningBuffer.addValue needs a keyCoder');
    this.writer.length = 0;
    kc.encode(key, this.writer);
    return latin1(this.writer.toBytes());
  }

  /** Measures the encoded size of every 256th new accumulator to refine the per-key estimate. */
  private sample(acc: A): void {
    if (this.options.accumulatorBytes !== undefined || (this.sampled++ & 0xff) !== 0) return;
    this.writer.length = 0;
    this.options.accumulatorCoder.encode(acc, this.writer);
    // Objects on the heap take a few times their encoded size.
    this.perAcc = Math.max(16, Math.round(0.8 * this.perAcc + 0.2 * (32 + 3 * this.writer.length)));
  }

  /** Writes every accumulator in key order; yields every 1024 keys (so an asynchronous flush can drain). */
  private *writeAll(w: RunWriter): Generator<number> {
    const keys = [...this.accs.keys()].sort();
    const coder = this.options.accumulatorCoder;
    const enc = this.writer;
    let i = 0;
    for (const k of keys) {
      enc.length = 0;
      coder.encode(this.accs.get(k)!, enc);
      w.add(k, enc.toBytes());
      if ((++i & 0x3ff) === 0) yield i;
    }
  }

  spillSync(): void {
    if (this.accs.size === 0) return;
    const w = this.newWriter(false);
    for (const _ of this.writeAll(w));
    this.recordRun(w.finish());
    this.accs = new Map();
    this.releaseAll();
  }

  async flush(): Promise<void> {
    if (this.accs.size === 0) return;
    await this.flushing(async () => {
      const w = this.newWriter(true);
      for (const _ of this.writeAll(w)) if (w.pendingBytes >= 4 << 20) await w.drain();
      this.recordRun(await w.finishAsync());
      this.accs = new Map();
      this.releaseAll();
    });
  }

  /** Each key once, in key-byte order, with its merged accumulator (keys as latin1 strings of their bytes). */
  *accumulators(): Generator<{ key: string; accumulator: A }> {
    this.finished = true;
    if (this.runs.length === 0) {
      for (const k of [...this.accs.keys()].sort()) yield { key: k, accumulator: this.accs.get(k)! };
      this.accs = new Map();
      this.releaseAll();
      return;
    }
    this.spillSync();
    const coder = this.options.accumulatorCoder;
    const fn = this.options.combineFn;
    this.compactRuns((m, out) => {
      const enc = new ByteWriter();
      for (const { key, accumulator } of mergeAccumulators(m, coder, fn)) {
        enc.length = 0;
        coder.encode(accumulator, enc);
        out.add(key, enc.toBytes());
      }
    });
    yield* mergeAccumulators(new RunMerger(this.runs.map((r) => r.cursor())), coder, fn);
  }

  /** Each key once, in key-byte order, decoded with the key coder when there is one, with the extracted output. */
  *results(): Generator<{ key: K; output: O }> {
    const kc = this.options.keyCoder;
    for (const { key, accumulator } of this.accumulators()) {
      const k = kc ? kc.decode(new ByteReader(latin1Bytes(key))) : (latin1Bytes(key) as unknown as K);
      yield { key: k, output: this.options.combineFn.extractOutput(accumulator) };
    }
  }
}

function* mergeAccumulators<A>(m: RunMerger, coder: Coder<A>, fn: StateCombineFn<unknown, A, unknown>): Generator<{ key: string; accumulator: A }> {
  for (let k = m.nextKey(); k !== undefined; k = m.nextKey()) {
    const accs: A[] = [];
    while (m.nextRecord()) accs.push(coder.decode(new ByteReader(m.cursor!.payload())));
    yield { key: k, accumulator: accs.length === 1 ? accs[0]! : fn.mergeAccumulators(accs) };
  }
}
