export * from './time.ts';
export * from './window.ts';
export * from './window-fn.ts';
export * from './trigger.ts';
export * from './pane.ts';
export * from './windowing-strategy.ts';
export * from './kv.ts';
export * from './errors.ts';
