import { InMemoryStateInternals } from './in-memory-state.ts';
import { runStateBackendSuite } from './state-backend-suite.ts';

runStateBackendSuite('in-memory', (opts) => new InMemoryStateInternals(opts));
