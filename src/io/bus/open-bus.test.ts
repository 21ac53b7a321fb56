// The bus semantic suite against the in-process bus.
import { runBusSuite } from './bus-suite.ts';
import { openBus } from './open-bus.ts';

runBusSuite('in-process', ({ dir, clock }) => openBus({ dir, clock }));
