import { groupByKey, io, kv, parDo, trigger, window, type KV } from '../../../src/index.ts';
import type { NexmarkEvent } from '../model.ts';
import type { NexmarkQuery } from './query.ts';
import { sec } from './query-config.ts';
import type { Done } from './results.ts';

type WrittenFile = io.files.WrittenFile;

const LATE_BATCHING_PERIOD = '10s';
const ONE_DAY = 24 * 3600 * 1000;

/**
 * Query 10, log to sharded files: every event is written, per fixed window (windowSizeSec), to numLogShards JSON
 * Lines files under `outputPath/LOG-…`, a pane at a time, with Beam's trigger — early panes every maxLogEvents
 * elements until the watermark passes the window, then late panes every maxLogEvents elements or 10 s of processing
 * time — discarding, with one day of allowed lateness. Once a window's on-time files are committed, one Done
 * record per window lists how many files and records it got (Beam writes an INDEX file there instead).
 *
 * Differences from Beam: Beam keys events by a hash of the event into shards and triggers per shard; here
 * `io.files.writeJsonl` triggers over the whole window and spreads each pane round-robin over numShards files, each
 * committed atomically (temp file, then rename), so a file is never seen half-written.
 */
export const q10: NexmarkQuery<Done> = {
  id: 10,
  name: 'log to sharded files',
  build(events, config) {
    if (config.outputPath === undefined) throw new Error('Nexmark query 10 writes files: set outputPath in the query configuration');
    const size = sec(config.windowSizeSec);
    const files = events
      .apply(
        'Q10.WindowEvents',
        window.into<NexmarkEvent>(window.fixed(size), {
          trigger: trigger.afterEach(
            trigger.orFinally(trigger.repeatedly(trigger.afterCount(config.maxLogEvents)), trigger.afterWatermark()),
            trigger.repeatedly(trigger.afterFirst(trigger.afterCount(config.maxLogEvents), trigger.afterProcessingTime(LATE_BATCHING_PERIOD))),
          ),
          accumulation: 'discarding',
          allowedLateness: ONE_DAY,
        }),
      )
      .apply('Q10.WriteLogs', io.files.writeJsonl<NexmarkEvent>(`${config.outputPath}/LOG`, { numShards: config.numLogShards }));
    return files
      .apply('Q10.WindowLogFiles', window.into<WrittenFile>(window.fixed(size), { allowedLateness: ONE_DAY, accumulation: 'discarding' }))
      .map((f) => kv(0, f), 'Q10.OneKey')
      .apply('Q10.FilesPerWindow', groupByKey<number, WrittenFile>())
      .apply(
        'Q10.Index',
        parDo<KV<number, WrittenFile[]>, Done>({
          process(g, ctx) {
            if (ctx.pane.timing !== 'ON_TIME' || ctx.pane.index !== 0) {
              ctx.metrics.counter('Q10.unexpectedPane').inc();
              return;
            }
            let records = 0;
            for (const f of g.value) records += f.count;
            const t = ctx.window.maxTimestamp;
            ctx.output({ message: `written for timestamp ${new Date(t).toISOString()}`, windowMaxTimestamp: t, files: g.value.length, records });
          },
        }),
      );
  },
  canonical: (o) => `${o.value.windowMaxTimestamp} ${o.value.records}`,
};
