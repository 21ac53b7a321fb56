/**
 * Task factories and task groups. A group prefixes its tasks' ids (`checks.nulls`) and links as a unit: edges into a
 * group go to its roots, edges out leave from its leaves.
 * @example
 *   const checks = d.group('checks', (g) => { g.task('nulls', checkNulls); g.task('ranges', checkRanges); });
 *   load.then(checks).then(report);
 */
import { DagDefinitionError } from './errors.ts';
import {
  link, resolveSensorOptions, resolveTaskOptions, Task,
  type LinkTarget, type Linkable, type PokeResult, type SensorOptions, type TaskContext, type TaskFn, type TaskKind, type TaskList, type TaskOptions,
} from './task.ts';

/** Upstream tasks a task takes as inputs, by name. */
export type TaskInputs = Record<string, Task<any>>;
/** The values those inputs carry. */
export type InputValues<I extends TaskInputs> = { [K in keyof I]: I[K] extends Task<infer T> ? T : never };
/** The elements of list-valued inputs (for `expand`). */
export type ElementValues<E extends TaskInputs> = { [K in keyof E]: E[K] extends Task<infer T> ? (T extends readonly (infer U)[] ? U : never) : never };

/** Options of `task(id, options, fn)`. */
export interface TaskDefinition<I extends TaskInputs, E extends TaskInputs> extends TaskOptions {
  /** Upstream tasks whose return values this task receives (implies the edges). */
  inputs?: I;
  /** Map this task over lists produced upstream: one instance per element (cross product for several). */
  expand?: E;
  description?: string;
}

/** A mapped task returns the list of its instances' results. */
export type MappedOutput<E extends TaskInputs, T> = keyof E extends never ? T : T[];

/** A sensor: its options and poke function. */
export interface SensorDefinition<I extends TaskInputs, T> extends TaskOptions, SensorOptions {
  inputs?: I;
  description?: string;
  poke: (ctx: TaskContext<InputValues<I>>) => PokeResult<T> | Promise<PokeResult<T>>;
}

/** The registry a factory adds tasks to (the DAG). */
export interface TaskRegistry {
  readonly id: string;
  readonly defaultArgs: TaskOptions;
  register(task: Task<unknown>): void;
  lookup(id: string): Task<unknown> | undefined;
}

/** Builds tasks under an id prefix. The DAG is a factory with no prefix; a group is one with its id. */
export class TaskFactory {
  /** Tasks created through this factory (and its sub-groups). */
  protected readonly members: Task<unknown>[] = [];

  constructor(
    protected readonly registry: TaskRegistry,
    readonly prefix: string,
    private readonly parent: TaskFactory | undefined,
  ) {}

  /** Adds a task running `fn`. With options: inputs (TaskFlow), expand (mapping), retries, trigger rule... */
  task<T>(id: string, fn: TaskFn<Record<never, never>, T>): Task<Awaited<T>>;
  task<T, I extends TaskInputs = Record<never, never>, E extends TaskInputs = Record<never, never>>(
    id: string,
    options: TaskDefinition<I, E>,
    fn: TaskFn<InputValues<I> & ElementValues<E>, T>,
  ): Task<MappedOutput<E, Awaited<T>>>;
  task(id: string, a: TaskDefinition<TaskInputs, TaskInputs> | TaskFn<any, unknown>, b?: TaskFn<any, unknown>): Task<any> {
    const [options, fn] = typeof a === 'function' ? [{}, a] : [a, b!];
    return this.add(id, 'task', options, fn, undefined);
  }

  /**
   * Adds a branching task: it returns the ids (or tasks) among its direct downstream tasks to follow; the others
   * are skipped, and the skips propagate per trigger rules.
   */
  branch<I extends TaskInputs = Record<never, never>>(
    id: string,
    options: TaskDefinition<I, Record<never, never>>,
    fn: TaskFn<InputValues<I>, string | Task<any> | readonly (string | Task<any>)[]>,
  ): Task<string[]> {
    return this.add(id, 'branch', options, fn, undefined) as Task<string[]>;
  }

  /** Adds a sensor: `poke` runs every `pokeInterval` until it reports done (its value goes downstream) or times out. */
  sensor<T = undefined, I extends TaskInputs = Record<never, never>>(id: string, definition: SensorDefinition<I, T>): Task<T> {
    const { poke, pokeInterval, timeout, mode, softFail, ...options } = definition;
    const sensor = resolveSensorOptions({ pokeInterval, timeout, mode, softFail });
    return this.add(id, 'sensor', options, poke as TaskFn<any, unknown>, sensor) as Task<T>;
  }

  /** Adds a group of tasks whose ids are prefixed with `id.`. */
  group(id: string, build: (g: TaskGroup) => void): TaskGroup {
    checkId(id, this.registry.id);
    const g = new TaskGroup(this.registry, `${this.prefix}${id}.`, this);
    build(g);
    return g;
  }

  private addMember(task: Task<unknown>): void {
    this.members.push(task);
    this.parent?.addMember(task);
  }

  private add(id: string, kind: TaskKind, options: TaskDefinition<TaskInputs, TaskInputs>, fn: TaskFn<any, unknown>, sensor: ReturnType<typeof resolveSensorOptions> | undefined): Task<unknown> {
    checkId(id, this.registry.id);
    const fullId = `${this.prefix}${id}`;
    if (this.registry.lookup(fullId)) throw new DagDefinitionError(`dag '${this.registry.id}': task '${fullId}' is defined twice`, { hint: 'give each task a unique id' });
    if (typeof fn !== 'function') throw new DagDefinitionError(`dag '${this.registry.id}': task '${fullId}' has no function`, { hint: "write d.task('id', (ctx) => ...) or d.task('id', { ...options }, (ctx) => ...)" });
    const { inputs = {}, expand = {}, description, ...taskOptions } = options;
    const idsOf = (m: TaskInputs, what: string) =>
      Object.fromEntries(Object.entries(m).map(([name, t]) => {
        if (!(t instanceof Task) || this.registry.lookup(t.id) !== t) {
          throw new DagDefinitionError(`dag '${this.registry.id}': ${what} '${name}' of task '${fullId}' is not a task of this dag`, { hint: 'pass a task returned by this dag\'s task(...)' });
        }
        return [name, t.id];
      }));
    const resolved = resolveTaskOptions(this.registry.defaultArgs, taskOptions);
    for (const [what, n] of [['poolSlots', resolved.poolSlots], ['maxActiveInstances', resolved.maxActiveInstances]] as const) {
      if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new DagDefinitionError(`dag '${this.registry.id}': task '${fullId}': ${what} must be a positive integer, got ${n}`);
    }
    const task = new Task<unknown>(fullId, this.registry.id, kind, fn, resolved, idsOf(inputs, 'input'), idsOf(expand, 'expand input'), sensor, description);
    this.registry.register(task);
    this.addMember(task);
    for (const up of [...Object.values(inputs), ...Object.values(expand)]) up.addDownstream(task);
    return task;
  }
}

/** A group of tasks: links as a unit through its roots and leaves. */
export class TaskGroup extends TaskFactory implements Linkable {
  get id(): string {
    return this.prefix.slice(0, -1);
  }
  /** The group's tasks, in definition order. */
  get tasks(): readonly Task<unknown>[] {
    return this.members;
  }
  /** Members with no upstream inside the group. */
  roots(): Task<unknown>[] {
    const inside = new Set(this.members.map((t) => t.id));
    return this.members.filter((t) => ![...t.upstreamIds].some((u) => inside.has(u)));
  }
  /** Members with no downstream inside the group. */
  leaves(): Task<unknown>[] {
    const inside = new Set(this.members.map((t) => t.id));
    return this.members.filter((t) => ![...t.downstreamIds].some((d) => inside.has(d)));
  }
  then<N extends LinkTarget>(next: N): N extends readonly Linkable[] ? TaskList : N {
    return link(this, next);
  }
}

function checkId(id: string, dagId: string): void {
  if (!/^[A-Za-z0-9_-]+$/.test(id)) {
    throw new DagDefinitionError(`dag '${dagId}': invalid task or group id '${id}'`, { hint: 'use letters, digits, _ and - (groups add the dots)' });
  }
}
