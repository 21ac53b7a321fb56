export * from './local/index.ts';
