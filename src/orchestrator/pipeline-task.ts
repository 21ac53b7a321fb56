/**
 * A task that runs a Riffle pipeline module (`export default Pipeline.define(...)`) on the embedded engine, in the
 * task's worker process, with templated parameters. The task's value is a summary of the run (state, duration,
 * dead letters).
 * @example
 *   d.task('aggregate', pipeline({ module: 'pipelines/revenue.ts', params: { input: 'landing/{{ ds }}', output: 'out/{{ ds }}' } }));
 */
import { resolve } from 'node:path';
import { importUserModule } from '../model/index.ts';
import { failWithoutRetry } from './signals.ts';
import type { TaskContext, TaskFn } from './task.ts';

export interface PipelineTaskOptions {
  /** Path of the pipeline module (relative to the working directory). */
  module: string;
  /** Parameters; string values are templates. */
  params?: Record<string, string | number | boolean>;
}

export interface PipelineTaskResult {
  state: string;
  durationMs: number;
  deadLetters: number;
  /** The files the pipeline read and wrote (OpenLineage datasets: namespace `file`, absolute paths), as far as known. */
  inputs: Array<{ namespace: string; name: string }>;
  outputs: Array<{ namespace: string; name: string }>;
}

interface DefinitionLike {
  kind: string;
  parseParams(raw: Record<string, string | boolean>): unknown;
  build(p: unknown, params: unknown): void | Promise<void>;
}

export function pipeline(o: PipelineTaskOptions): TaskFn<Record<string, unknown>, PipelineTaskResult> {
  return async (ctx: TaskContext<Record<string, unknown>>) => {
    const path = resolve(ctx.render(o.module));
    const mod = (await importUserModule(path)) as { default?: DefinitionLike };
    const definition = mod.default;
    if (definition?.kind !== 'riffle.pipeline') failWithoutRetry(`'${o.module}' does not export a pipeline definition as default (export default Pipeline.define(...))`);
    const raw = Object.fromEntries(Object.entries(o.params ?? {}).map(([k, v]) => [k, typeof v === 'string' ? ctx.render(v) : typeof v === 'boolean' ? v : String(v)]));
    const values = definition.parseParams(raw);
    // Loaded lazily: a DAG that never runs a pipeline does not load the engine.
    const riffle = await import('../index.ts');
    const p = riffle.Pipeline.create();
    await definition.build(p, values);
    ctx.log(`running pipeline ${o.module} with ${JSON.stringify(raw)}`);
    const result = await p.run({ runner: new riffle.LocalRunner() });
    // deadLetters holds the first records only; the count covers them all, and the file holds them.
    const deadLetters = result.deadLetterCount ?? result.deadLetters.length;
    ctx.log(`pipeline ${result.state} in ${result.durationMs} ms (${deadLetters} dead letters${result.deadLetterPath ? ` in ${result.deadLetterPath}` : ''})`);
    const { datasetsOf } = await import('../observe/index.ts');
    return { state: result.state, durationMs: result.durationMs, deadLetters, ...datasetsOf(p.graph) };
  };
}
