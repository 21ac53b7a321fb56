/**
 * One Nexmark query over the unbounded (streaming) Nexmark source, not rate limited, as a pipeline module: what
 * `bench:checkpoints` runs (inline on one worker; each worker loads this module with `--workers N`). The outputs are
 * counted by the `CountOutputs` step's metrics (restored with a checkpoint, so a resumed run's count is the whole run's).
 *
 * With `announce`, the process writes `FIRST_READ <epoch ms>` on stdout when the source first returns events and
 * `OPEN <position>` when a reader opens (0, or the position a resumed run restored): the recovery measurement's marks.
 */
import { parDo, Pipeline, read, type UnboundedSource } from '../../src/index.ts';
import type { NexmarkEvent } from './model.ts';
import { queries, queryConfig } from './queries/index.ts';
import { nexmarkUnbounded } from './sources.ts';

/** `source` that writes the `OPEN` and `FIRST_READ` marks on stdout. */
function announced(source: UnboundedSource<NexmarkEvent, number>): UnboundedSource<NexmarkEvent, number> {
  let first = true;
  return {
    ...source,
    open: async (position) => {
      process.stdout.write(`OPEN ${position ?? 0}\n`);
      const reader = await source.open(position);
      const next = reader.next.bind(reader);
      reader.next = async (waitMs) => {
        const batch = await next(waitMs);
        if (first && batch !== null && batch.values.length > 0) {
          first = false;
          process.stdout.write(`FIRST_READ ${Date.now()}\n`);
        }
        return batch;
      };
      return reader;
    },
  };
}

/** Builds Nexmark query `query` over `events` events of the unbounded source, its outputs into `CountOutputs`. */
export function buildStreamQuery(p: Pipeline, query: number, events: number, announce: boolean): void {
  const q = queries.find((x) => x.id === query);
  if (q === undefined) throw new RangeError(`no Nexmark query ${query}; queries are 0-12`);
  const config = queryConfig({ numEvents: events });
  const source = nexmarkUnbounded(config);
  q.build(p.apply('Nexmark', read(announce ? announced(source) : source)), config).apply('CountOutputs', parDo<unknown, never>({ process() {} }));
}

export default Pipeline.define(
  { params: { query: 'number', events: 'number', announce: { type: 'boolean', default: false } }, description: 'one Nexmark query over the unbounded generator (not rate limited)' },
  (p, { query, events, announce }) => buildStreamQuery(p, query, events, announce),
);
