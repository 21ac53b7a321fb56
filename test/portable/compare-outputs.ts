// What the portable comparison tests share: run a pipeline module on the embedded engine and on Flink (one job
// server for all, the harness as a loopback worker pool) into two directories, and compare what they wrote.
//
// Outputs are compared as the records of each output, not byte for byte: a file write's shard count is the runner's
// choice (one file per bundle), and the order of lines in a file is not defined. So the files of one output (the
// same name without `-SSSSS-of-NNNNN`) are read together, a CSV's header line taken once, gzip undone, and their
// sorted lines compared (error records' `time`, when the run rejected them, masked). `_SUCCESS` manifests (which list shard names) are compared by presence only; anything left
// behind (a temp dir) is a difference.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { LocalRunner, Pipeline } from '../../src/index.ts';
import { importUserModule, type PipelineResult, type StepMetrics } from '../../src/model/index.ts';
import { FlinkRunner, translatePipeline, type JobServer } from '../../src/runner/portable/index.ts';

interface Definition {
  build(p: Pipeline, params: Readonly<Record<string, unknown>>): void | Promise<void>;
  parseParams?(raw: Record<string, string | boolean>): Record<string, unknown>;
}

export interface Comparison {
  /** Outputs with the same records, and with different ones (`missing on flink` / `different lines` / …). */
  readonly equal: string[];
  readonly different: Array<{ output: string; why: string }>;
  readonly localMs: number;
  readonly flinkMs: number;
  /**
   * The step table (elements in, out, errors) of both runs: steps whose figures agree, and the others (a write's
   * internal steps may differ: the shard count is the runner's choice). Reported, not asserted.
   */
  readonly steps: { readonly equal: number; readonly different: string[] };
}

function compareSteps(local: PipelineResult, flink: PipelineResult): Comparison['steps'] {
  const figures = (s: StepMetrics) => `${s.elementsIn}/${s.elementsOut}/${s.errors}`;
  const theirs = new Map(flink.metrics.steps.map((s) => [s.step, figures(s)]));
  let equal = 0;
  const different: string[] = [];
  for (const s of local.metrics.steps) {
    if (theirs.get(s.step) === figures(s)) equal++;
    else different.push(`${s.step} ${figures(s)} embedded, ${theirs.get(s.step) ?? 'absent'} on Flink`);
  }
  return { equal, different };
}

/** Every file under `dir` (relative paths), directories included as `name/` when empty. */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Each output's records: output name → sorted lines (`header:` first for CSV). */
export function outputsOf(dir: string): Map<string, string[]> {
  const outputs = new Map<string, string[]>();
  for (const f of files(dir)) {
    const name = f.replace(/-\d{5}-of-\d{5}/, '');
    let text = f.endsWith('_SUCCESS') ? '' : readFileSync(join(dir, f)).toString('utf8');
    if (f.endsWith('.gz')) text = gunzipSync(readFileSync(join(dir, f))).toString('utf8');
    // An error record's `time` is when the run rejected it: the one field two runs never share.
    let lines = text.split('\n').filter((l) => l !== '').map((l) => l.replace(/"time":"\d{4}-\d\d-\d\dT[\d:.]+Z"/g, '"time":"<run time>"'));
    const list = outputs.get(name) ?? [];
    if (/\.csv(\.gz)?$/.test(f) && lines.length > 0) {
      if (!list.some((l) => l.startsWith('header:'))) list.push(`header:${lines[0]}`);
      lines = lines.slice(1);
    }
    list.push(...lines);
    outputs.set(name, list);
  }
  for (const l of outputs.values()) l.sort();
  return outputs;
}

/** Where two lines differ: ±60 characters around their first different character. */
function around(a: string | undefined, b: string | undefined): string {
  if (a === undefined || b === undefined) return `${JSON.stringify(a)?.slice(0, 120)} vs ${JSON.stringify(b)?.slice(0, 120)}`;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 60);
  return `…${a.slice(from, i + 60)}… vs …${b.slice(from, i + 60)}…`;
}

export function compareDirs(local: string, flink: string): Pick<Comparison, 'equal' | 'different'> {
  const a = outputsOf(local);
  const b = outputsOf(flink);
  const equal: string[] = [];
  const different: Array<{ output: string; why: string }> = [];
  for (const name of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(name);
    const y = b.get(name);
    if (x === undefined) different.push({ output: name, why: 'only on flink' });
    else if (y === undefined) different.push({ output: name, why: 'missing on flink' });
    else if (x.length !== y.length || x.some((l, i) => l !== y[i])) {
      const first = x.findIndex((l, i) => l !== y[i]);
      different.push({ output: name, why: `${x.length} lines locally, ${y.length} on flink; first difference: ${around(x[first], y[first])}` });
    } else equal.push(name);
  }
  return { equal, different };
}

/**
 * Runs `module` with `params(outputDir)` on both runners and compares. Parameters are given as the CLI would
 * (strings), so that the module's own parsing applies; paths in them are absolute.
 */
export async function compareModule(module: string, params: (out: string) => Record<string, string | boolean>, dirs: { local: string; flink: string }, server: JobServer): Promise<Comparison> {
  const definition = ((await importUserModule(module)) as { default: Definition }).default;
  const values = (out: string) => (definition.parseParams ? definition.parseParams(params(out)) : params(out));
  const localParams = values(dirs.local);
  // What the translator refuses is refused before either run (it throws PORTABLE_UNTRANSLATABLE, naming the step).
  const probe = Pipeline.create();
  await definition.build(probe, localParams);
  translatePipeline(probe.graph, { pipeline: { module, params: localParams }, environment: { kind: 'external', url: '127.0.0.1:1' } });
  let t = Date.now();
  const p = Pipeline.create();
  await definition.build(p, localParams);
  const local = await p.run({ runner: new LocalRunner(), jobName: 'compare-local', deadLetter: join(dirs.local, '..', 'local-dead-letters.jsonl') });
  if (local.state !== 'DONE') throw new Error(`the embedded run of ${module} ended ${local.state}`);
  const localMs = Date.now() - t;
  t = Date.now();
  const flinkParams = values(dirs.flink);
  const q = Pipeline.create();
  await definition.build(q, flinkParams);
  // RIFFLE_FLINK_PARALLELISM: Flink's parallelism (reads split up front are then read in parallel).
  const parallelism = process.env.RIFFLE_FLINK_PARALLELISM !== undefined ? Number(process.env.RIFFLE_FLINK_PARALLELISM) : undefined;
  const flink = await q.run({ runner: new FlinkRunner({ server, harness: 'loopback', ...(parallelism !== undefined ? { parallelism } : {}) }), jobName: 'compare-flink', pipelineModule: { path: module, params: flinkParams } });
  if (flink.state !== 'DONE') throw new Error(`the Flink run of ${module} ended ${flink.state}`);
  return { ...compareDirs(dirs.local, dirs.flink), localMs, flinkMs: Date.now() - t, steps: compareSteps(local, flink) };
}
