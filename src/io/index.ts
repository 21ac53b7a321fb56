export * as files from './files/index.ts';
