import { create, parDo, type Pipeline, type SideInputs, type SideValues } from 'riffle';

/**
 * Prints a summary once the results it reads are complete: they arrive as side inputs of a one-element impulse, and a
 * side input is ready only when its collection is (in batch, when it is fully computed and written). Meant for
 * bounded results in the global window.
 * @example printSummary(p, { totals: totals.apply(view.asIterable()) }, ({ totals }) => console.log(totals))
 */
export function printSummary<S extends SideInputs>(p: Pipeline, sideInputs: S, print: (side: SideValues<S>) => void): void {
  p.apply('SummaryImpulse', create([null])).apply(
    'PrintSummary',
    parDo<null, never, S>({
      sideInputs,
      process(_x, ctx) {
        print(ctx.side);
      },
    }),
  );
}
