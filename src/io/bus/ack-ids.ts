/**
 * A subscription's ack ids: `<token>.<offset>.<seq>`, where the token is this process's (ack ids do not survive a
 * restart), the offset names the message, and seq numbers the delivery (so that an exactly-once subscription can tell
 * the current delivery's ack id from an earlier one). A seek invalidates every ack id issued before it.
 * @example
 *   const ids = new AckIds();
 *   const seq = ids.next();            // 1
 *   ids.parse(ids.format(42, seq))     // { offset: 42, seq: 1 }
 *   ids.invalidateIssued();            // ids.parse(...) of it is now undefined
 */
import { randomBytes } from 'node:crypto';

export class AckIds {
  private readonly token = randomBytes(4).toString('hex');
  private seq = 0;
  /** Ack ids with a sequence number at or below this were issued before the last seek. */
  private seqFloor = 0;

  /** The sequence number of a new delivery. */
  next(): number {
    return ++this.seq;
  }

  format(offset: number, seq: number): string {
    return `${this.token}.${offset}.${seq}`;
  }

  /** The offset and delivery of an ack id issued here since the last seek, or undefined. */
  parse(id: string): { offset: number; seq: number } | undefined {
    if (typeof id !== 'string') return undefined;
    const parts = id.split('.');
    if (parts.length !== 3 || parts[0] !== this.token) return undefined;
    const offset = Number(parts[1]);
    const seq = Number(parts[2]);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(seq) || seq <= this.seqFloor || seq > this.seq) return undefined;
    return { offset, seq };
  }

  /** Every ack id issued so far stops matching (seek). */
  invalidateIssued(): void {
    this.seqFloor = this.seq;
  }
}
