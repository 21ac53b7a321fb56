import { addPrimitive, windowingStrategy, type PCollection, type PTransform, type WindowFn, type WindowingOptions, type WindowIntoSpec } from '../model/index.ts';

/**
 * Assigns each element to windows, and sets the trigger, lateness and accumulation of downstream grouping.
 * @example events.apply(window.into(window.fixed('1m'), { trigger: trigger.afterWatermark({ late: trigger.afterCount(1) }), allowedLateness: '5m', accumulation: 'accumulating' }))
 */
export function windowInto<T>(windowFn: WindowFn<any>, opts: WindowingOptions = {}, name = 'WindowInto'): PTransform<PCollection<T>, PCollection<T>> {
  return {
    name,
    primitive: true,
    expand(input, stepName) {
      return addPrimitive<T>(input, stepName, { kind: 'windowInto' } satisfies WindowIntoSpec, windowingStrategy(windowFn, opts));
    },
  };
}
