export { LocalRunner, type LocalRunOptions, type Progress } from './engine.ts';
export { realClock, VirtualClock, type Clock } from './clock.ts';
export { plan, describePlan, type Plan, type Stage } from './planner.ts';
export { DirectChannel, type Bundle, type Channel, type ChannelTarget } from './channel.ts';
export { WatermarkValve, BarrierTracker } from './watermark-valve.ts';
export { DEFAULT_MAX_PARALLELISM, murmur3, keyGroupOf, workerOfKeyGroup, checkMaxParallelism, defaultKeyGroupAssigner, encodedKeyBytes, type KeyGroupAssigner } from './key-group.ts';
export type { Receiver } from './operator.ts';
export type { EncodedKey } from './key-encoding.ts';
