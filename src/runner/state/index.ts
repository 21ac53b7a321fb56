// The public surface of runner/state: the state backend port and its two backends, the spillable grouping and
// combining buffers and the memory budget. (The conformance suite, runKeyedStateBackendSuite, is imported from
// keyed-state-backend-suite.ts by tests: it needs test-only dependencies.)
export { parseSize, defaultJobMemory, DEFAULT_HEAP_FRACTION, MemoryBudget, type MemoryMetrics } from './memory-budget.ts';
export { SpillDirectory } from './spill-directory.ts';
export { GroupingBuffer, latin1, latin1Bytes, type Group, type GroupingBufferOptions, type SpilledRun, type SpillOptions } from './grouping-buffer.ts';
export { CombiningBuffer, type CombiningBufferOptions } from './combining-buffer.ts';
export { codedStateTags, structuredStateCoder, StateNotEncodableError, type CodedStateTag, type AnyStateTag, type TagCoders } from './state-tags.ts';
export {
  InMemoryStateBackend,
  parseSnapshot,
  type StateBackend,
  type StateBackendOptions,
  type StateBackendMetrics,
  type KeyedStateInternals,
  type StateKeyRef,
  type BackendHoldListener,
} from './state-backend.ts';
export { SpillingStateBackend, type SpillingStateBackendOptions } from './spilling-state-backend.ts';
export { InMemoryKeyState, type InMemoryKeyStateOptions } from './in-memory-key-state.ts';
export { backendKeyState, canonicalKeyBytes, canonicalKeyString, defaultKeyBytes, perStepKeyState, type BackendKeyStateOptions } from './key-state-factory.ts';
