/**
 * A Riffle sink step (`riffle:dofn:sink:v1`) as a harness operator. The writer is opened once per processor (a
 * processor runs its descriptor's bundles one at a time); each element is `write`n, and at the end of every bundle
 * `flush` writes what was buffered and its results (e.g. the temp files a file sink wrote) go out on the step's
 * output before the bundle's response. `finish` (or `abort`) runs when the harness tears the processor down.
 *
 * Exactly once: a Flink bundle is the unit of retry, and Riffle's file sinks already publish by write-then-rename —
 * a bundle writes a temp file under a random name and only reports it on its output; the write's Finalize step,
 * after a GroupByKey gathering every report, renames exactly the reported files to their final names and writes
 * `_SUCCESS`. A bundle that fails (or is retried) is never reported downstream, so its temp file is never published,
 * and a re-run of Finalize finds the files under their final names (its rename is idempotent).
 */
import type { PrimitiveNode, SinkOutput, SinkWriter, WindowedValue } from '../../model/index.ts';
import type { Emit, Operator } from './element-operators.ts';

type WV = WindowedValue<unknown>;

export async function sinkOperator(node: PrimitiveNode, outs: Readonly<Record<string, Emit>>): Promise<Operator & { teardown(failed: boolean): Promise<void> }> {
  if (node.kind !== 'sink') throw new Error(`step '${node.name}' is a ${node.kind}, not a sink`);
  const controller = new AbortController();
  const writer: SinkWriter<unknown, unknown> = await node.spec.sink.open({ step: node.name, worker: 0, workers: 1, signal: controller.signal });
  const main = outs['main'];
  const emit = async (results: readonly SinkOutput<unknown>[] | void) => {
    if (main === undefined || !results) return;
    for (const r of results) await main({ value: r.value, timestamp: r.timestamp, windows: [r.window], pane: { isFirst: true, isLast: true, timing: 'ON_TIME', index: 0, nonSpeculativeIndex: 0 } });
  };
  let closed = false;
  return {
    process: (wv: WV) => {
      for (const window of wv.windows) writer.write(wv.value, wv.timestamp, window, wv.pane);
    },
    finishBundle: async () => emit(await writer.flush()),
    async teardown(failed) {
      if (closed) return;
      closed = true;
      if (failed) {
        controller.abort();
        await writer.abort(new Error(`step '${node.name}': the bundle failed`));
      } else await writer.finish();
    },
  };
}
