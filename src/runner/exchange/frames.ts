/**
 * The kinds of frame a channel carries, in order, between two workers (or from the coordinator to a worker). Control
 * travels in-band: everything sent before a watermark, barrier or end arrives before it.
 */
export const FrameKind = {
  /** Encoded elements (aux = element count): WindowedValueCodec frames one after the other. */
  BUNDLE: 1,
  /** The sender's output watermark (payload: float64). */
  WATERMARK: 2,
  /** The sender went idle (aux 1) or active again (aux 0): its watermark then does (not) hold the receiver back. */
  STATUS: 3,
  /** A checkpoint barrier (payload: float64 checkpoint id). */
  BARRIER: 4,
  /** The sender is done: nothing follows. */
  END: 5,
  /** A coordinator command (payload: UTF-8 JSON), e.g. TestStream's watermark and processing-time advances. */
  CONTROL: 6,
  /** Elements a worker sent itself, kept as objects in the exchange's LocalLane (aux = element count, no payload). */
  LOCAL_BUNDLE: 7,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** A float64 payload (watermarks, barrier ids), little-endian. */
export function float64Payload(x: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, true);
  return b;
}

export function readFloat64Payload(payload: Uint8Array): number {
  return new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getFloat64(0, true);
}

export const EMPTY_PAYLOAD = new Uint8Array(0);

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export function jsonPayload(value: unknown): Uint8Array {
  return utf8.encode(JSON.stringify(value));
}

export function readJsonPayload(payload: Uint8Array): unknown {
  return JSON.parse(fromUtf8.decode(payload));
}
