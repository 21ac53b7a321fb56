// Batch ETL, ported from the Dataflow deep dive's Python pipeline (ParseCSV → EnrichData with a user-segment side
// input → Filter revenue > 0 → GroupByKey(country) → CalculateMetrics), with the BigQuery tables replaced by files:
//   ${output}/country-metrics-*.jsonl   one line per country: total_revenue, unique_users, event_count, avg_revenue_per_user
//   ${output}/segment-revenue-*.jsonl   revenue per user segment ('unknown' for users without one)
//   ${output}/errors-*.jsonl            the malformed lines: the reason, the raw line, file and line number
//
//   node --import tsx src/cli/main.ts run examples/batch-etl.ts --output=out/batch-etl
import { combine, io, parDo, Pipeline, view, type KV } from 'riffle';
import { printSummary } from './lib/print-summary.ts';
import { formatTable } from './lib/print-table.ts';
import { cents, EVENT_COLUMNS, type SampleEvent } from './lib/sample-events.ts';

/** An event with its user's segment (EnrichData in the Python original). */
export interface EnrichedEvent extends SampleEvent {
  readonly user_segment: string;
}

/** One output row per country (CalculateMetrics, and the BigQuery schema of the original). */
export interface CountryMetrics {
  readonly country: string;
  readonly total_revenue: number;
  readonly unique_users: number;
  readonly event_count: number;
  readonly avg_revenue_per_user: number;
}

export default Pipeline.define(
  {
    description: 'Parses events, enriches them with user segments, and computes revenue metrics per country.',
    params: {
      input: { type: 'string', default: 'examples/data/events.csv', description: 'events CSV (a path or a glob)' },
      segments: { type: 'string', default: 'examples/data/user-segments.csv', description: 'CSV of user_id,segment' },
      output: { type: 'string', default: 'out/batch-etl', description: 'output directory' },
    },
  },
  (p, { input, segments, output }) => {
    // Side input: user_id → segment (the original reads it from BigQuery and turns it into a dict).
    const segmentOf = p
      .apply('ReadSegments', io.files.readCsv(segments, { header: true, columns: { user_id: 'string', segment: 'string' } }))
      .map((r): KV<string, string> => ({ key: r.user_id, value: r.segment }), 'KeyByUser')
      .apply('SegmentsAsMap', view.asMap<string, string>());

    // ParseCSV: typed columns; a bad number or date, a wrong field count or bad quoting goes to the errors output.
    const { main: events, errors } = p.apply('ReadEvents', io.files.readCsv(input, { header: true, columns: EVENT_COLUMNS }).withErrors());
    const errorFiles = errors.apply('WriteErrors', io.files.writeJsonl(`${output}/errors`, { numShards: 1 }));

    const enriched = events.apply(
      'EnrichData',
      parDo<SampleEvent, EnrichedEvent, { segmentOf: typeof segmentOf }>({
        sideInputs: { segmentOf },
        process(e, ctx) {
          ctx.output({
            event_id: e.event_id,
            user_id: e.user_id,
            country: e.country,
            event_type: e.event_type,
            revenue: e.revenue,
            timestamp: e.timestamp,
            user_segment: ctx.side.segmentOf.get(e.user_id) ?? 'unknown',
          });
        },
      }),
    );
    const paying = enriched.filter((e) => e.revenue > 0, 'FilterRevenue');

    // CalculateMetrics as one combining pass per country (the runner pre-combines before the shuffle, where the
    // original grouped every event of a country on one worker).
    const metrics = paying
      .apply(
        'MetricsPerCountry',
        combine.perKey(
          (e: EnrichedEvent) => e.country,
          combine.struct({
            total: combine.sum((e: EnrichedEvent) => e.revenue),
            users: combine.distinctCount((e: EnrichedEvent) => e.user_id),
            events: combine.count(),
          }),
        ),
      )
      .map(
        ({ key, value }): CountryMetrics => ({
          country: key,
          total_revenue: cents(value.total),
          unique_users: value.users,
          event_count: value.events,
          avg_revenue_per_user: value.users > 0 ? cents(value.total / value.users) : 0,
        }),
        'FormatMetrics',
      );
    const metricFiles = metrics.apply('WriteMetrics', io.files.writeJsonl(`${output}/country-metrics`));

    const segmentRevenue = paying
      .apply('RevenuePerSegment', combine.perKey((e: EnrichedEvent) => e.user_segment, combine.sum((e: EnrichedEvent) => e.revenue)))
      .map(({ key, value }) => ({ segment: key, revenue: cents(value) }), 'FormatSegments');
    const segmentFiles = segmentRevenue.apply('WriteSegments', io.files.writeJsonl(`${output}/segment-revenue`));

    printSummary(
      p,
      {
        metrics: metrics.apply(view.asIterable<CountryMetrics>()),
        bySegment: segmentRevenue.apply(view.asIterable<{ segment: string; revenue: number }>()),
        errorFiles: errorFiles.apply(view.asIterable<{ path: string; count: number }>()),
        metricFiles: metricFiles.apply(view.asIterable<{ path: string; count: number }>()),
        segmentFiles: segmentFiles.apply(view.asIterable<{ path: string; count: number }>()),
      },
      (s) => {
        const rows = [...s.metrics].sort((a, b) => b.total_revenue - a.total_revenue || a.country.localeCompare(b.country));
        console.log(
          `Country metrics (revenue > 0):\n${formatTable(
            ['country', 'total_revenue', 'unique_users', 'event_count', 'avg_revenue_per_user'],
            rows.map((m) => [m.country, m.total_revenue, m.unique_users, m.event_count, m.avg_revenue_per_user]),
          )}\n`,
        );
        const segs = [...s.bySegment].sort((a, b) => a.segment.localeCompare(b.segment));
        console.log(`Revenue per segment:\n${formatTable(['segment', 'revenue'], segs.map((x) => [x.segment, x.revenue]))}\n`);
        const files = [...s.metricFiles, ...s.segmentFiles, ...s.errorFiles];
        console.log(`Wrote:\n${files.map((f) => `  ${f.path} (${f.count} records)`).sort().join('\n')}`);
      },
    );
  },
);
