/**
 * A finished portable job's metrics as a local run reports them: the Job API's MonitoringInfos (GetJobMetrics:
 * committed, else attempted) read back (monitoring-infos.ts) and laid over the pipeline graph — each step's elements
 * in (its main inputs' PCollections), out (its main output's) and errors (its error output's: a read's `errors`, a
 * step's `errorTag`), user metrics as `<step>/<name>`. Late drops are the runner's business and not reported by it
 * (0). Steps are listed in the graph's order, as the embedded engine lists them.
 * @example
 *   const metrics = jobMetrics(graph, translation.pcollectionIds, (await job.metrics()));
 */
import type { PipelineGraph, PipelineMetrics, StepMetrics } from '../../model/index.ts';
import type { MonitoringInfo } from './gen/pipeline/v1/metrics_pb.ts';
import { readMonitoringInfos } from './monitoring-infos.ts';

/** The pipeline's metrics from the job's MonitoringInfos; `pcollectionIds` maps the graph's collections to the proto's. */
export function jobMetrics(graph: PipelineGraph, pcollectionIds: ReadonlyMap<string, string>, infos: readonly MonitoringInfo[]): PipelineMetrics {
  const read = readMonitoringInfos(infos);
  const count = (collection: string | undefined) => {
    const pc = collection !== undefined ? pcollectionIds.get(collection) : undefined;
    return pc !== undefined ? (read.elements.get(pc) ?? 0) : 0;
  };
  const steps: StepMetrics[] = [];
  for (const node of graph.nodes.values()) {
    const errorTag = node.kind === 'read' ? 'errors' : 'errorTag' in node.spec ? node.spec.errorTag : undefined;
    steps.push({
      step: node.name,
      kind: node.kind,
      elementsIn: node.inputs.reduce((n, c) => n + count(c), 0),
      elementsOut: count(node.outputs.get('main')),
      droppedLate: 0,
      errors: errorTag !== undefined ? count(node.outputs.get(errorTag)) : 0,
    });
  }
  return { steps, counters: read.counters, distributions: read.distributions, gauges: read.gauges };
}
