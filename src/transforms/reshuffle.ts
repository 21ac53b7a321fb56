import { PCollection, type PTransform, type ReshuffleSpec } from '../model/index.ts';

/**
 * Breaks fusion and redistributes elements across workers (Beam's Reshuffle): timestamps, windows and panes are
 * kept; the step after it starts a new stage.
 */
export function reshuffle<T>(name = 'Reshuffle'): PTransform<PCollection<T>, PCollection<T>> {
  return {
    name,
    primitive: true,
    expand(input, stepName) {
      const node = input.graph.addNode<ReshuffleSpec>({
        name: stepName,
        kind: 'reshuffle',
        spec: { kind: 'reshuffle' },
        inputs: [input.id],
        outputs: [{ tag: 'main', windowing: input.windowing, bounded: input.bounded }],
      });
      return new PCollection<T>(input.graph, node.outputs.get('main')!);
    },
  };
}
