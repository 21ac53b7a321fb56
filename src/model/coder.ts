/**
 * Coders turn elements into bytes and back. The implementation lives in `coders/` (one file per family); this module
 * keeps the original import path.
 */
export * from './coders/index.ts';
