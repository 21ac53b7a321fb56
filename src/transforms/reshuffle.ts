import { addPrimitive, type PCollection, type PTransform, type ReshuffleSpec } from '../model/index.ts';

/**
 * Breaks fusion and redistributes elements across workers (Beam's Reshuffle): timestamps, windows and panes are
 * kept; the step after it starts a new stage.
 */
export function reshuffle<T>(name = 'Reshuffle'): PTransform<PCollection<T>, PCollection<T>> {
  return {
    name,
    primitive: true,
    expand(input, stepName) {
      return addPrimitive<T>(input, stepName, { kind: 'reshuffle' } satisfies ReshuffleSpec);
    },
  };
}
