/**
 * Nexmark in SQL against the transform versions, same run: `node --import tsx bench/nexmark-sql.ts [events] [queries] [rounds]`
 * (defaults: 1,000,000 events, queries 5,7, 3 rounds; the SQL queries are 0–8 and 11, e.g. `200000 3,4,6 1`). Each
 * round runs the transform version then the SQL version of each query over the bounded generator, in this process on
 * one worker; the table shows the best round of each, the outputs (which must be equal, but for Q6's panes) and
 * SQL's throughput as a fraction of the transform version's (target ≥ 0.8×).
 */
import { parDo, Pipeline, read, type PCollection } from '../src/index.ts';
import { queries, queryConfig, type NexmarkQueryConfig } from './nexmark/queries/index.ts';
import { buildSqlQuery, sqlQueries } from './nexmark/sql-queries.ts';
import { nexmarkBounded } from './nexmark/sources.ts';
import type { NexmarkEvent } from './nexmark/model.ts';

const events = Number(process.argv[2] ?? 1_000_000);
const ids = (process.argv[3] ?? '5,7').split(',').map(Number);
const rounds = Number(process.argv[4] ?? 3);
if (!(Number.isSafeInteger(events) && events > 0)) throw new Error(`events must be a positive integer, got ${process.argv[2]}`);
for (const id of ids) if (!sqlQueries.some((q) => q.id === id)) throw new Error(`no SQL version of Nexmark Q${id}; SQL queries: ${sqlQueries.map((q) => q.id).join(', ')}`);

async function measure(build: (e: PCollection<NexmarkEvent>, c: NexmarkQueryConfig) => PCollection<unknown>): Promise<{ seconds: number; outputs: number }> {
  const config = queryConfig({ numEvents: events });
  const p = Pipeline.create();
  let outputs = 0;
  build(p.apply('Nexmark', read(nexmarkBounded(config))), config).apply('CountOutputs', parDo<unknown, never>({ process() { outputs++; } }));
  const t0 = performance.now();
  await p.run();
  return { seconds: (performance.now() - t0) / 1000, outputs };
}

const rows: string[] = [];
for (const id of ids) {
  const q = queries.find((x) => x.id === id)!;
  const sq = sqlQueries.find((x) => x.id === id)!;
  let best = { transforms: Infinity, sql: Infinity };
  let outs = { transforms: 0, sql: 0 };
  for (let r = 0; r < rounds; r++) {
    const a = await measure((e, c) => q.build(e, c) as PCollection<unknown>);
    const b = await measure((e, c) => buildSqlQuery(sq, e, c));
    best = { transforms: Math.min(best.transforms, a.seconds), sql: Math.min(best.sql, b.seconds) };
    outs = { transforms: a.outputs, sql: b.outputs };
  }
  const rate = (s: number) => Math.round(events / s).toLocaleString('en-US');
  // Q6 emits a pane per bundle of winning bids (transforms) and a row per winning bid (SQL): the counts differ by design.
  const note = outs.transforms === outs.sql ? '' : sq.summarize ? ' (panes / rows)' : ' DIFFER';
  rows.push(`| Q${id} | ${rate(best.transforms)} | ${rate(best.sql)} | ${(best.transforms / best.sql).toFixed(2)}× | ${outs.transforms} / ${outs.sql}${note} |`);
}
console.log(`Nexmark, ${events.toLocaleString('en-US')} events, best of ${rounds} rounds, 1 worker (events/s)\n`);
console.log('| query | transforms | SQL | SQL / transforms | outputs (transforms / SQL) |\n|---|---|---|---|---|');
for (const r of rows) console.log(r);
