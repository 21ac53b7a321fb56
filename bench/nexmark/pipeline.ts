/**
 * One Nexmark query as a pipeline module (what `bench:nexmark --workers N` runs on N worker threads: each worker loads
 * this module and builds the same query over its share of the generator's splits). The outputs are counted by the
 * `CountOutputs` step's metrics (summed over the workers).
 */
import { parDo, Pipeline, read } from '../../src/index.ts';
import { queries, queryConfig } from './queries/index.ts';
import { nexmarkBounded } from './sources.ts';

export default Pipeline.define(
  { params: { query: 'number', events: 'number', outputPath: { type: 'string', default: '' }, watermark: { type: 'boolean', default: true } }, description: 'one Nexmark query over the bounded generator' },
  (p, { query, events, outputPath, watermark }) => {
    const q = queries.find((x) => x.id === query);
    if (q === undefined) throw new RangeError(`no Nexmark query ${query}; queries are 0-12`);
    const config = queryConfig({ numEvents: events, ...(outputPath !== '' ? { outputPath } : {}) });
    q.build(p.apply('Nexmark', read(nexmarkBounded(config, { watermark }))), config).apply('CountOutputs', parDo<unknown, never>({ process() {} }));
  },
);
