import { sinkReports, type SinkReport } from './sink.ts';
import type { InputWarning } from './source.ts';
import { ConfigError } from './errors.ts';
import { PipelineGraph } from './graph.ts';
import { applyTransform, type Applicable, type PTransform } from './pcollection.ts';

/** Options every run accepts; runners add their own. */
export interface RunOptions {
  /** Cancels the job: run() then resolves with state 'CANCELLED'. */
  signal?: AbortSignal;
  /**
   * The JSON Lines file that records of unconsumed error outputs (dead letters) are written to, as they occur
   * (default `riffle-dead-letters/<jobName>-<run id>.jsonl` in the working directory; created only if needed).
   */
  deadLetter?: string;
  /** Fail the job once more than this many records were rejected (dead letters); default: no limit. */
  maxErrors?: number;
  /** Names the job in the default dead-letter path (default 'pipeline'). */
  jobName?: string;
  /**
   * Worker threads (`riffle run --workers N`). Absent: the embedded runner gives a pipeline module (what `riffle run`
   * loads) one per core, at most one per 64 MiB of bounded input, and runs a pipeline built inline in-process.
   */
  workers?: number;
  /** The memory budget of grouping, combining and state buffers, in bytes (`riffle run --memory 1g`). */
  memoryBytes?: number;
  [option: string]: unknown;
}

/** What run() resolves to. */
export interface PipelineResult {
  readonly state: 'DONE' | 'CANCELLED';
  readonly metrics: PipelineMetrics;
  /**
   * Records that went to the default dead-letter output (error outputs nobody consumed): the first ones only when
   * there are many (all of them are in `deadLetterPath`; `deadLetterCount` counts them).
   */
  readonly deadLetters: ReadonlyArray<{ step: string; error: string; element: unknown; time: string; origin?: { readonly file?: string; readonly line?: number; readonly [k: string]: unknown } }>;
  /** How many records went to dead letters (runners that keep them all in `deadLetters` may omit it). */
  readonly deadLetterCount?: number;
  /** The JSON Lines file holding every dead letter; absent when there were none. */
  readonly deadLetterPath?: string;
  readonly durationMs: number;
  /** Each sink step, what it writes, and its guarantee under restarts (exactly-once or at-least-once). */
  readonly sinks?: readonly SinkReport[];
  /** What the sources noticed about their input (empty files, header-only files, ...), in read order; absent: none. */
  readonly inputWarnings?: readonly InputWarning[];
}

export interface StepMetrics {
  readonly step: string;
  readonly kind: string;
  readonly elementsIn: number;
  readonly elementsOut: number;
  /** Elements dropped as too late (beyond the allowed lateness) or for closed windows. */
  readonly droppedLate: number;
  readonly errors: number;
}

export interface PipelineMetrics {
  readonly steps: readonly StepMetrics[];
  readonly counters: Readonly<Record<string, number>>;
  readonly distributions: Readonly<Record<string, { count: number; sum: number; min: number; max: number; mean: number }>>;
  readonly gauges: Readonly<Record<string, number>>;
  /** Memory of grouping buffers and state (runners with a memory budget): the job's figures, then each step's. */
  readonly memory?: MemoryFigures & { readonly steps: Readonly<Record<string, MemoryFigures>> };
}

/** Bytes held (estimated) now and at the peak, bytes written to spill files and sorted runs written, and the budget. */
export interface MemoryFigures {
  readonly bytesInMemory: number;
  readonly peakBytesInMemory: number;
  readonly bytesSpilled: number;
  readonly runsWritten: number;
  readonly limit: number;
}

/** A runner executes a frozen pipeline graph. */
export interface Runner {
  readonly name: string;
  run(graph: PipelineGraph, options: RunOptions): Promise<PipelineResult>;
}

let defaultRunner: Runner | undefined;

/** Installs the runner `Pipeline.run` uses when none is given (the embedded engine does this on import). */
export function setDefaultRunner(runner: Runner): void {
  defaultRunner = runner;
}

/**
 * A pipeline: the root to which sources are applied, and the graph they build.
 * @example
 *   const p = Pipeline.create();
 *   p.apply(create([1, 2, 3])).map((x) => x * 2);
 *   await p.run();
 */
export class Pipeline implements Applicable {
  readonly graph = new PipelineGraph();

  constructor() {
    this.graph.root = this;
  }

  static create(): Pipeline {
    return new Pipeline();
  }

  /** Declares a pipeline module with typed parameters (also a template): see PipelineDefinition. */
  static define<P extends ParamSchema>(opts: { params: P; description?: string }, build: (p: Pipeline, params: ParamValues<P>) => void | Promise<void>): PipelineDefinition<P> {
    return new PipelineDefinition(opts.params, build, opts.description);
  }

  apply<O>(transform: PTransform<Pipeline, O>): O;
  apply<O>(name: string, transform: PTransform<Pipeline, O>): O;
  apply<O>(a: string | PTransform<Pipeline, O>, b?: PTransform<Pipeline, O>): O {
    return typeof a === 'string' ? applyTransform(this, b!, a) : applyTransform(this, a);
  }

  /** Runs the pipeline to completion (or cancellation) on the given runner, by default the embedded engine. */
  run(options: RunOptions & { runner?: Runner } = {}): Promise<PipelineResult> {
    const runner = options.runner ?? defaultRunner;
    if (!runner) throw new ConfigError("no runner installed: import Riffle from 'riffle' (its index installs the embedded engine)");
    this.graph.freeze();
    // Every runner's result names the sinks and their guarantees (the graph knows them).
    return runner.run(this.graph, options).then((result) => (result.sinks !== undefined ? result : { ...result, sinks: sinkReports(this.graph) }));
  }
}

/** Parameter types of a pipeline definition. */
export type ParamType = 'string' | 'number' | 'integer' | 'boolean';
export type ParamDecl = ParamType | { type: ParamType; default?: string | number | boolean; description?: string };
export type ParamSchema = Record<string, ParamDecl>;

type TypeOf<T extends ParamType> = T extends 'string' ? string : T extends 'boolean' ? boolean : number;
export type ParamValues<P extends ParamSchema> = {
  [K in keyof P]: P[K] extends ParamType ? TypeOf<P[K]> : P[K] extends { type: infer T extends ParamType } ? TypeOf<T> : never;
};

/** A pipeline module's default export: declared parameters and a function that builds the pipeline from them. */
export class PipelineDefinition<P extends ParamSchema = ParamSchema> {
  readonly kind = 'riffle.pipeline';
  constructor(
    readonly params: P,
    readonly build: (p: Pipeline, params: ParamValues<P>) => void | Promise<void>,
    readonly description?: string,
  ) {}

  /**
   * Checks raw parameter strings (from a command line) against the declaration: unknown and missing parameters and
   * values of the wrong type are errors that list what is expected.
   */
  parseParams(raw: Record<string, string | boolean>): ParamValues<P> {
    const expected = Object.entries(this.params).map(([k, d]) => {
      const decl = typeof d === 'string' ? { type: d } : d;
      return `--${k}=<${decl.type}>${'default' in decl && decl.default !== undefined ? ` (default ${String(decl.default)})` : ''}`;
    });
    const listing = expected.length > 0 ? expected.join(' ') : '(none)';
    const unknown = Object.keys(raw).filter((k) => !(k in this.params));
    if (unknown.length > 0) {
      throw new ConfigError(`unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `--${k}`).join(', ')}`, { hint: `this pipeline takes: ${listing}` });
    }
    const out: Record<string, unknown> = {};
    const missing: string[] = [];
    for (const [key, d] of Object.entries(this.params)) {
      const decl = typeof d === 'string' ? { type: d, default: undefined } : d;
      const value = raw[key] ?? decl.default;
      if (value === undefined) {
        missing.push(`--${key}=<${decl.type}>`);
        continue;
      }
      out[key] = coerceParam(key, decl.type, value, listing);
    }
    if (missing.length > 0) throw new ConfigError(`missing parameter${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`, { hint: `this pipeline takes: ${listing}` });
    return out as ParamValues<P>;
  }
}

function coerceParam(key: string, type: ParamType, value: string | number | boolean, listing: string): unknown {
  const bad = () => new ConfigError(`parameter --${key}: expected ${type === 'integer' ? 'an integer' : `a ${type}`}, got '${String(value)}'`, { hint: `this pipeline takes: ${listing}` });
  switch (type) {
    case 'string':
      if (typeof value === 'boolean') throw bad();
      return String(value);
    case 'number':
    case 'integer': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) throw bad();
      return n;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === '1') return true;
      if (value === 'false' || value === '0') return false;
      throw bad();
  }
}
