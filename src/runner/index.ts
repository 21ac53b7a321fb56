export * from './local/index.ts';
export * from './state/index.ts';
