import { InMemoryStateBackend } from './state-backend.ts';
import { SpillingStateBackend } from './spilling-state-backend.ts';
import { runKeyedStateBackendSuite } from './keyed-state-backend-suite.ts';

runKeyedStateBackendSuite('in-memory', (o) => new InMemoryStateBackend(o));
runKeyedStateBackendSuite('spilling', (o) => new SpillingStateBackend(o));
runKeyedStateBackendSuite('spilling, merging every run', (o) => new SpillingStateBackend({ ...o, maxRuns: 1 }));
