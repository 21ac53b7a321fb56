export * from './parse.ts';
export * from './harness.ts';
export * from './pure-driver.ts';
export * from './drivers.ts';
