// The trigger transcripts through the engine on 2 worker threads: the TestStream plays in lockstep (every worker
// advances its watermark and clock; one worker reads each event's elements; the next event comes when no frame is in
// flight), and each transcript's panes, action by action, must be what Beam's transcript expects — as on one worker.
// npm test runs a subset (QUICK: the ones moving processing time, and the first of each other file; ~4 s each);
// RIFFLE_WORKERS_FULL=1 runs every transcript with the groupByKey and the lifted-combine pipelines (.ci/tiers/workers.sh).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { GlobalWindow, IntervalWindow, LocalRunner, Pipeline, type PaneInfo } from '../../src/index.ts';
import { defaultTranscriptFiles } from '../../scripts/conformance.ts';
import type { Grouping } from '../transcripts/engine-driver.ts';
import { runTranscript, type TranscriptDriver, type TranscriptOutput } from '../transcripts/harness.ts';
import { parseTranscript, readTranscriptFile } from '../transcripts/parse.ts';
import definition from './fixtures/transcript-pipeline.ts';

const MODULE = resolve(import.meta.dirname, 'fixtures/transcript-pipeline.ts');
const FULL = process.env.RIFFLE_WORKERS_FULL === '1';
const WORKERS = Number(process.env.RIFFLE_WORKERS_N ?? 2);
const root = mkdtempSync(join(tmpdir(), 'riffle-transcripts-workers-'));
after(() => rmSync(root, { recursive: true, force: true }));

let runs = 0;

/**
 * One job per transcript runs every grouping asked for (a groupByKey and a lifted-combine branch on the same
 * TestStream): a job on workers spends most of its ~1 s starting threads, and the tier would otherwise start two.
 */
function runJob(file: string, index: number, groupings: readonly Grouping[]): Promise<Map<Grouping, TranscriptOutput[][]>> {
  return (async () => {
    const output = join(root, `run-${runs++}`);
    const params = { file, index, bundling: 'as-is', groupings: groupings.join(','), output };
    const p = Pipeline.create();
    await definition.build(p, params);
    const result = await new LocalRunner().run(p.graph, { workers: WORKERS, pipelineModule: { path: MODULE, params } });
    assert.equal(result.state, 'DONE');
    assert.equal(result.metrics.gauges.workers, WORKERS);
    const actions = parseTranscript(readTranscriptFile(file)[index]!).actions.length;
    const byGrouping = new Map(groupings.map((g) => [g, Array.from({ length: actions }, (): TranscriptOutput[] => [])]));
    let files: string[] = [];
    try {
      files = readdirSync(output).filter((f) => f.startsWith('panes-'));
    } catch {
      // no pane at all: the directory was never made
    }
    for (const f of files) {
      for (const line of readFileSync(join(output, f), 'utf8').split('\n')) {
        if (line === '') continue;
        const o = JSON.parse(line) as { action: number; grouping: Grouping; window: [number, number] | 'global'; values: number[]; timestamp: number; pane: PaneInfo };
        const window = o.window === 'global' ? GlobalWindow.INSTANCE : new IntervalWindow(o.window[0], o.window[1]);
        byGrouping.get(o.grouping)![o.action]!.push({ window, values: o.values, timestamp: o.timestamp, pane: o.pane });
      }
    }
    return byGrouping;
  })();
}

function workersDriver(job: () => Promise<Map<Grouping, TranscriptOutput[][]>>, grouping: Grouping): TranscriptDriver {
  return {
    name: `engine-${WORKERS}-workers${grouping === 'combine' ? '-combine' : ''}`,
    async run(): Promise<TranscriptOutput[][]> {
      return (await job()).get(grouping)!;
    },
  };
}

/** In npm test: the transcripts that move processing time (where lockstep matters most), and one of each file. */
const QUICK = new Set(['after_all_then_closed', 'after_any_count_or_processing_time', 'python_repeatedly_inside_after_watermark', 'repeated_processing_time_global']);

for (const file of defaultTranscriptFiles()) {
  const specs = readTranscriptFile(file);
  const chosen = specs.flatMap((spec, index) => (FULL || QUICK.has(spec.name) || (index === 0 && basename(file) !== 'riffle-triggers.yaml') ? [{ spec, index }] : []));
  describe(`transcripts on ${WORKERS} workers: ${basename(file)}`, () => {
    for (const { spec, index } of chosen) {
      const groupings: readonly Grouping[] = FULL ? ['gbk', 'combine'] : ['gbk'];
      let running: Promise<Map<Grouping, TranscriptOutput[][]>> | undefined;
      const job = () => (running ??= runJob(file, index, groupings));
      for (const grouping of groupings) {
        const driver = workersDriver(job, grouping);
        it(`${spec.name} [${driver.name}]`, async () => {
          const r = await runTranscript(spec, driver);
          assert.ok(r.passed, r.reason);
        });
      }
    }
  });
}
