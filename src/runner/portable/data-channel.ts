/**
 * The harness's side of Beam's data plane (BeamFnData): one bidi stream per data endpoint, multiplexed by
 * (instruction, transform). Inputs of a bundle arrive as chunks of encoded elements until a chunk with `is_last`;
 * chunks may arrive before the ProcessBundleRequest that names them, so they are buffered by instruction. Outputs go
 * out as one chunk of elements followed by an empty `is_last` chunk per output transform. Timers (Elements.timers) travel
 * the same way, addressed by (instruction, transform, timer family): a stateful ParDo's fired timers come in, the
 * timers it sets go out, each family ended by its own `is_last`.
 * @example
 *   const data = new DataChannel('127.0.0.1:4000', 'worker-1');
 *   const chunks = await data.receive('instr-1', 'source-transform');
 *   data.send('instr-1', 'sink-transform', bytes);  // then data.close('instr-1', 'sink-transform')
 */
import { BeamFnData } from './gen/fn_execution/v1/beam_fn_api_pb.ts';
import { grpcClient, type GrpcClient } from './grpc-service.ts';

interface Inbox {
  readonly chunks: Uint8Array[];
  done: boolean;
  waiter?: { resolve: (chunks: Uint8Array[]) => void; reject: (e: Error) => void };
}

export class DataChannel {
  private readonly client: GrpcClient<(typeof BeamFnData)['method']>;
  private readonly stream: ReturnType<GrpcClient<(typeof BeamFnData)['method']>['data']>;
  private readonly inboxes = new Map<string, Inbox>();
  private failure: Error | undefined;
  private closed = false;

  constructor(readonly endpoint: string, workerId: string) {
    this.client = grpcClient(BeamFnData, endpoint, { metadata: { worker_id: workerId } });
    this.stream = this.client.data();
    void this.pump();
  }

  private inbox(instructionId: string, transformId: string, family?: string): Inbox {
    const key = inboxKey(instructionId, transformId, family);
    let box = this.inboxes.get(key);
    if (box === undefined) this.inboxes.set(key, (box = { chunks: [], done: false }));
    return box;
  }

  private async pump(): Promise<void> {
    try {
      for await (const elements of this.stream) {
        for (const d of elements.data) this.arrived(d.instructionId, d.transformId, undefined, d.data, d.isLast);
        for (const t of elements.timers) this.arrived(t.instructionId, t.transformId, t.timerFamilyId, t.timers, t.isLast);
      }
      this.fail(new Error(`the runner closed the data stream at ${this.endpoint}`));
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private arrived(instructionId: string, transformId: string, family: string | undefined, data: Uint8Array, isLast: boolean): void {
    const box = this.inbox(instructionId, transformId, family);
    if (data.length > 0) box.chunks.push(data);
    if (!isLast) return;
    box.done = true;
    if (box.waiter) {
      this.inboxes.delete(inboxKey(instructionId, transformId, family));
      box.waiter.resolve(box.chunks);
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const box of this.inboxes.values()) box.waiter?.reject(e);
  }

  /** Every chunk of one bundle input, or of one timer family's fired timers (resolves once its `is_last` chunk arrived). */
  receive(instructionId: string, transformId: string, timerFamily?: string): Promise<Uint8Array[]> {
    const box = this.inbox(instructionId, transformId, timerFamily);
    if (box.done) {
      this.inboxes.delete(inboxKey(instructionId, transformId, timerFamily));
      return Promise.resolve(box.chunks);
    }
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (box.waiter = { resolve, reject }));
  }

  /** Sends one chunk of encoded elements for a bundle output. */
  send(instructionId: string, transformId: string, data: Uint8Array): void {
    if (data.length > 0 && !this.closed) this.stream.write({ data: [{ instructionId, transformId, data, isLast: false }] });
  }

  /** Ends a bundle output (the `is_last` chunk). */
  end(instructionId: string, transformId: string): void {
    if (!this.closed) this.stream.write({ data: [{ instructionId, transformId, data: new Uint8Array(), isLast: true }] });
  }

  /** Sends the encoded timers of one timer family that a bundle set or cleared. */
  sendTimers(instructionId: string, transformId: string, timerFamilyId: string, timers: Uint8Array): void {
    if (timers.length > 0 && !this.closed) this.stream.write({ timers: [{ instructionId, transformId, timerFamilyId, timers, isLast: false }] });
  }

  /** Ends a bundle's timers of one family (the `is_last` chunk). */
  endTimers(instructionId: string, transformId: string, timerFamilyId: string): void {
    if (!this.closed) this.stream.write({ timers: [{ instructionId, transformId, timerFamilyId, timers: new Uint8Array(), isLast: true }] });
  }

  /** Forgets what was buffered for a bundle (e.g. after it failed). */
  discard(instructionId: string): void {
    for (const key of [...this.inboxes.keys()]) if (key.startsWith(`${instructionId}\u0000`)) this.inboxes.delete(key);
  }

  /** Ends the stream at once: bundles still waiting for input fail (the runner closed the control stream). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('the harness is shutting down'));
    this.stream.end();
    this.stream.cancel();
    this.client.close();
  }
}

function inboxKey(instructionId: string, transformId: string, family: string | undefined): string {
  return family === undefined ? `${instructionId}\u0000${transformId}` : `${instructionId}\u0000${transformId}\u0000timers\u0000${family}`;
}
