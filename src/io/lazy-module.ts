/**
 * Heavy dependencies of a connector, loaded when a pipeline runs rather than when Riffle is imported.
 *
 * `import { io } from 'riffle'` must stay light, yet `io.delta` needs the lakehouse (Parquet, compression codecs),
 * a Kafka connector its client, and so on. A connector's factory (`io.delta.write(...)`) only validates options and
 * builds graph nodes, which needs none of that; the heavy module is used by the source's and the DoFns' asynchronous
 * hooks (a source's `split`/`read`, a DoFn's `setup`). So a connector names its heavy module once with `lazyModule`,
 * awaits `load()` at those points, and uses `get()` in the synchronous code that only runs after them.
 *
 * @example
 * const lakehouse = lazyModule('the Delta lakehouse', () => import('../../lakehouse/index.ts'));
 * // in a DoFn's setup or a source's split/read:
 * const { DeltaTable } = await lakehouse.load();
 * // later, in process():
 * lakehouse.get().toCanonical('long', value);
 */
export interface LazyModule<M> {
  /** Imports the module on first call (later calls share the same promise). */
  load(): Promise<M>;
  /** The module, once `load()` has settled; throws before (a connector bug: a sync path ran before its async hook). */
  get(): M;
}

/**
 * Names a module imported on first use.
 *
 * @example
 * const client = lazyModule('the Kafka client', () => import('kafkajs'));
 */
export function lazyModule<M>(what: string, importer: () => Promise<M>): LazyModule<M> {
  let loaded: M | undefined;
  let pending: Promise<M> | undefined;
  return {
    load() {
      pending ??= importer().then((m) => (loaded = m));
      return pending;
    },
    get() {
      if (loaded === undefined) throw new Error(`internal: ${what} was used before it was loaded (await load() in an asynchronous hook first)`);
      return loaded;
    },
  };
}
