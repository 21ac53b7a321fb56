export * as files from './files/index.ts';
export * as delta from './delta/index.ts';
export * as bus from './bus/index.ts';
export * as postgres from './postgres/index.ts';
export * as kafka from './kafka/index.ts';
