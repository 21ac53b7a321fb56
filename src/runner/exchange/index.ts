/**
 * Exchanges between worker threads: key-group routing, bounded shared-memory rings with in-band control, the
 * exchange channel (producer side) and input (consumer side) the engine plugs its stages into, and the worker pool
 * that runs one module per worker under a coordinator. See README.md in this folder.
 */
export { KeyGroupRange, keyGroupRangeOf, checkWorkers } from './key-group-range.ts';
export { WindowedValueCodec } from './windowed-value-codec.ts';
export { FrameKind } from './frames.ts';
export { allocateRing, allocateDoorbell, abortRing, Doorbell, RingReader, RingWriter, ExchangeAbortedError, type Frame } from './ring.ts';
export { ExchangeChannel, type ExchangeChannelOptions, type Partitioning } from './exchange-channel.ts';
export { ExchangeInput, type ExchangeInputOptions, type ExchangeTarget } from './exchange-input.ts';
export { WorkerPool, type WorkerPoolOptions, type WorkerReport } from './pool.ts';
export { WorkerFailedError, type SerializedError, type WorkerInit, type ExchangeWiring } from './protocol.ts';
export type { WorkerContext, ControlCommand } from './worker-context.ts';
export { runOnWorkers } from './run-on-workers.ts';
export { PipelineShare, exchangeIdsOf, exchangeKindOf, type SplitPlan, type SplitRef } from './pipeline-share.ts';
