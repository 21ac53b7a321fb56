// Quickstart (`npm start`): revenue per country and event counts per type over the bundled sample events.
//
//   node --import tsx src/cli/main.ts run examples/quickstart.ts [--input=examples/data/events.csv] [--output=out/quickstart]
import { combine, flatten, io, Pipeline, view, type KV } from 'riffle';
import { printSummary } from './lib/print-summary.ts';
import { formatTable } from './lib/print-table.ts';
import { cents, EVENT_COLUMNS } from './lib/sample-events.ts';

export default Pipeline.define(
  {
    description: 'Revenue per country and event counts per type over a CSV of events.',
    params: {
      input: { type: 'string', default: 'examples/data/events.csv', description: 'events CSV (a path or a glob)' },
      output: { type: 'string', default: 'out/quickstart', description: 'output directory' },
    },
  },
  (p, { input, output }) => {
    // Malformed lines go to the error output instead of failing the job.
    const { main: events, errors } = p.apply('ReadEvents', io.files.readCsv(input, { header: true, columns: EVENT_COLUMNS }).withErrors());

    const revenue = events
      .apply('RevenuePerCountry', combine.perKey((e) => e.country, combine.sum((e) => e.revenue)))
      .map((r: KV<string, number>) => ({ country: r.key, revenue: cents(r.value) }), 'FormatRevenue');
    const counts = events
      .apply('EventsPerType', combine.perKey((e) => e.event_type, combine.count()))
      .map((c: KV<string, number>) => ({ event_type: c.key, events: c.value }), 'FormatCounts');

    const written = flatten(
      revenue.apply('WriteRevenue', io.files.writeCsv(`${output}/revenue-by-country`, { columns: ['country', 'revenue'] })),
      counts.apply('WriteCounts', io.files.writeCsv(`${output}/events-by-type`, { columns: ['event_type', 'events'] })),
      errors.apply('WriteErrors', io.files.writeJsonl(`${output}/errors`, { numShards: 1 })),
    );

    // Print once everything is computed and written.
    const sides = {
      revenue: revenue.apply(view.asIterable<{ country: string; revenue: number }>()),
      counts: counts.apply(view.asIterable<{ event_type: string; events: number }>()),
      files: written.apply(view.asIterable<{ path: string; count: number }>()),
      errorCount: errors.apply('CountErrors', combine.globally(combine.count())).apply(view.asSingleton<number>()),
    };
    printSummary(p, sides, ({ revenue, counts, files, errorCount }) => {
      const byRevenue = [...revenue].sort((a, b) => b.revenue - a.revenue || a.country.localeCompare(b.country));
      const byCount = [...counts].sort((a, b) => b.events - a.events || a.event_type.localeCompare(b.event_type));
      console.log(`Revenue per country:\n${formatTable(['country', 'revenue'], byRevenue.map((r) => [r.country, r.revenue]))}\n`);
      console.log(`Events per type:\n${formatTable(['event_type', 'events'], byCount.map((c) => [c.event_type, c.events]))}\n`);
      console.log(`${errorCount} malformed line(s) sent to ${output}/errors.`);
      console.log(`Wrote:\n${[...files].map((f) => `  ${f.path} (${f.count} records)`).sort().join('\n')}`);
    });
  },
);
