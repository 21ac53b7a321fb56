export * as files from './files/index.ts';
export * as delta from './delta/index.ts';
