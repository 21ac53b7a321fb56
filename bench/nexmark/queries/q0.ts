import { parDo } from '../../../src/index.ts';
import type { NexmarkEvent } from '../model.ts';
import type { NexmarkQuery } from './query.ts';

/** Query 0, pass-through: every event unchanged (measures the engine's per-event overhead). */
export const q0: NexmarkQuery<NexmarkEvent> = {
  id: 0,
  name: 'pass-through',
  build: (events) => events.apply('Q0.PassThrough', parDo<NexmarkEvent, NexmarkEvent>({ process: (e, ctx) => ctx.output(e) })),
  canonical: (o) => `${o.timestamp} ${JSON.stringify(o.value)}`,
};
