import type { BoundedSource, Instant, SourceBatch } from '../model/index.ts';

/** A bounded source over values held in memory (what `create` reads). Splits into contiguous slices. */
export class InMemorySource<T> implements BoundedSource<T> {
  readonly kind = 'bounded';
  constructor(
    private readonly values: readonly T[],
    private readonly timestamps: readonly Instant[] | undefined,
    private readonly batchSize = 8192,
  ) {}
  describe(): string {
    return `memory(${this.values.length} elements)`;
  }
  async estimateSizeBytes(): Promise<number> {
    return this.values.length * 64;
  }
  async split(desiredBundleSizeBytes: number): Promise<BoundedSource<T>[]> {
    const per = Math.max(1, Math.floor(desiredBundleSizeBytes / 64));
    if (this.values.length <= per) return [this];
    const parts: BoundedSource<T>[] = [];
    for (let i = 0; i < this.values.length; i += per) {
      parts.push(new InMemorySource(this.values.slice(i, i + per), this.timestamps?.slice(i, i + per), this.batchSize));
    }
    return parts;
  }
  async *read(signal?: AbortSignal): AsyncIterable<SourceBatch<T>> {
    for (let i = 0; i < this.values.length; i += this.batchSize) {
      if (signal?.aborted) return;
      const values = this.values.slice(i, i + this.batchSize);
      yield this.timestamps ? { values, timestamps: this.timestamps.slice(i, i + this.batchSize) } : { values };
    }
  }
}
