/**
 * The harness's side of Beam's state API (BeamFnState): one bidi stream per state endpoint, requests matched to
 * responses by id. `get` follows continuation tokens and returns the whole value (the concatenated encoded
 * elements); `append` and `clear` resolve once the runner acknowledged them. A response's error rejects its request;
 * a broken stream rejects every pending one.
 * @example
 *   const state = new StateClient('127.0.0.1:4000', 'worker-1');
 *   const bytes = await state.get('instr-1', { type: { case: 'iterableSideInput', value: { transformId, sideInputId, window } } });
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { BeamFnState, StateKeySchema, StateRequestSchema, type StateResponse } from './gen/fn_execution/v1/beam_fn_api_pb.ts';
import { grpcClient, type GrpcClient } from './grpc-service.ts';

export type StateKeyInit = MessageInitShape<typeof StateKeySchema>;

export class StateClient {
  private readonly client: GrpcClient<(typeof BeamFnState)['method']>;
  private readonly stream: ReturnType<GrpcClient<(typeof BeamFnState)['method']>['state']>;
  private readonly pending = new Map<string, { resolve: (r: StateResponse) => void; reject: (e: Error) => void }>();
  private next = 0;
  private failure: Error | undefined;

  constructor(readonly endpoint: string, workerId: string) {
    this.client = grpcClient(BeamFnState, endpoint, { metadata: { worker_id: workerId } });
    this.stream = this.client.state();
    void this.pump();
  }

  private async pump(): Promise<void> {
    try {
      for await (const r of this.stream) {
        const p = this.pending.get(r.id);
        if (p === undefined) continue;
        this.pending.delete(r.id);
        if (r.error !== '') p.reject(new Error(`the runner's state service: ${r.error}`));
        else p.resolve(r);
      }
      this.fail(new Error(`the runner closed the state stream at ${this.endpoint}`));
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private call(instructionId: string, stateKey: StateKeyInit, request: MessageInitShape<typeof StateRequestSchema>['request']): Promise<StateResponse> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = `s${++this.next}`;
    return new Promise<StateResponse>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.stream.write(create(StateRequestSchema, { id, instructionId, stateKey: create(StateKeySchema, stateKey), request }));
    });
  }

  /** The whole value under `key` (every page). */
  async get(instructionId: string, key: StateKeyInit): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let token: Uint8Array = new Uint8Array(0);
    do {
      const r = await this.call(instructionId, key, { case: 'get', value: { continuationToken: token } });
      if (r.response.case !== 'get') throw new Error(`the runner's state service answered a get with ${r.response.case ?? 'nothing'}`);
      parts.push(r.response.value.data);
      token = r.response.value.continuationToken;
    } while (token.length > 0);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  async append(instructionId: string, key: StateKeyInit, data: Uint8Array): Promise<void> {
    await this.call(instructionId, key, { case: 'append', value: { data } });
  }

  async clear(instructionId: string, key: StateKeyInit): Promise<void> {
    await this.call(instructionId, key, { case: 'clear', value: {} });
  }

  close(): void {
    this.stream.end();
    this.client.close();
    this.fail(new Error('the state client was closed'));
  }
}
