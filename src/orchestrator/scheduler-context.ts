/**
 * What the parts of the scheduler share (run creation, run advancing, takeover, outcomes): its id, the store, the
 * DAGs it runs, its clock, and where it reports task instance state changes. The `Scheduler` builds one and hands
 * it to each part, so that every part is a set of functions over the store rather than a slice of one class.
 */
import type { Dag } from './dag.ts';
import type { MetadataStore, TaskInstanceRecord } from './metadata-store.ts';

export interface SchedulerContext {
  /** The scheduler's id: the owner recorded on the instances it claims. */
  readonly id: string;
  readonly store: MetadataStore;
  /** The DAGs this scheduler runs, by id. */
  readonly dags: ReadonlyMap<string, Dag>;
  readonly now: () => number;
  /** The DAG, or a SchedulerError naming the known ones. */
  dag(dagId: string): Dag;
  /** Reports a task instance state change the scheduler made. */
  notify(ti: TaskInstanceRecord): void;
}
