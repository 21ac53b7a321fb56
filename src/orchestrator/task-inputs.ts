/**
 * What a task instance receives from upstream: TaskFlow inputs (an upstream's XCom `return_value`, or the list of
 * its map instances' values), and for a mapped task the lists it expands over and the element of each that one map
 * index stands for.
 */
import type { DagRunRecord, MetadataStore } from './metadata-store.ts';
import type { Task } from './task.ts';

/** The value a task passes downstream: its XCom, or the list of its map instances' XComs. */
export async function outputOf(store: MetadataStore, run: DagRunRecord, taskId: string): Promise<unknown> {
  const placeholder = await store.getTaskInstance({ dagId: run.dagId, runId: run.runId, taskId, mapIndex: -1 });
  if (placeholder?.state === 'mapped') {
    const xs = await store.listXComs(run.dagId, run.runId, taskId);
    return xs.filter((x) => x.key === 'return_value' && x.mapIndex >= 0).map((x) => x.value);
  }
  return (await store.getXCom({ dagId: run.dagId, runId: run.runId, taskId, mapIndex: -1 }))?.value ?? null;
}

/** The lists a mapped task expands over, by input name (an upstream value that is not a list counts as empty). */
export async function expandLists(store: MetadataStore, run: DagRunRecord, task: Task<unknown>): Promise<[string, unknown[]][]> {
  const out: [string, unknown[]][] = [];
  for (const [name, upstream] of Object.entries(task.expand)) {
    const value = await outputOf(store, run, upstream);
    out.push([name, Array.isArray(value) ? value : []]);
  }
  return out;
}

/** The inputs of one instance of `task` (map instance `mapIndex` gets its element of each expanded list). */
export async function inputsOf(store: MetadataStore, run: DagRunRecord, task: Task<unknown>, mapIndex: number): Promise<Record<string, unknown>> {
  const inputs: Record<string, unknown> = {};
  for (const [name, upstream] of Object.entries(task.inputs)) inputs[name] = await outputOf(store, run, upstream);
  if (task.isMapped) {
    // Map index → one element per list, the last list varying fastest (the order of a nested loop).
    let rest = mapIndex;
    const lists = await expandLists(store, run, task);
    for (let i = lists.length - 1; i >= 0; i--) {
      const [name, list] = lists[i]!;
      inputs[name] = list[rest % list.length];
      rest = Math.floor(rest / list.length);
    }
  }
  return inputs;
}
