/** Events per second over the last minute, in one-second buckets on the bus's clock (for `stats`). */
export class RateCounter {
  private buckets = new Float64Array(60);
  private seconds = new Float64Array(60).fill(-1);

  add(now: number, n = 1): void {
    const s = Math.floor(now / 1000);
    const i = s % 60;
    if (this.seconds[i] !== s) {
      this.seconds[i] = s;
      this.buckets[i] = 0;
    }
    this.buckets[i]! += n;
  }

  /** The mean rate over the 60 seconds up to `now`. */
  perSecond(now: number): number {
    const s = Math.floor(now / 1000);
    let n = 0;
    for (let i = 0; i < 60; i++) if (this.seconds[i]! > s - 60 && this.seconds[i]! <= s) n += this.buckets[i]!;
    return n / 60;
  }
}
