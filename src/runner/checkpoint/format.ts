/**
 * What a checkpoint holds and how it is written: the job's fingerprint, the metadata file, and the envelope of one
 * operator's part. An operator's snapshot is plain data whose large pieces are bytes its own coders produced (keyed
 * state per key group through the state tags' coders, timers and windows through window coders — see keyed-store.ts);
 * the envelope around it is structured serialization (v8), which refuses nothing plain and is versioned here.
 */
import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { RiffleError, type NodeInfo } from '../../model/index.ts';

export const CHECKPOINT_FORMAT = 'riffle-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** What identifies a job across runs: a checkpoint of another job is refused. */
export interface JobFingerprint {
  /** The pipeline module (`riffle run <module>`), when the job came from one. */
  readonly module?: string;
  /** SHA-256 over the steps (name, kind, inputs by step name) in topological order, and maxParallelism. */
  readonly graph: string;
  /** The step names, for messages naming what differs. */
  readonly steps: readonly string[];
  readonly maxParallelism: number;
}

export function jobFingerprint(order: readonly NodeInfo[], maxParallelism: number, module?: string): JobFingerprint {
  const producer = new Map<string, string>();
  for (const n of order) for (const [tag, id] of n.outputs) producer.set(id, `${n.name}:${tag}`);
  const h = createHash('sha256');
  h.update(`maxParallelism=${maxParallelism}\n`);
  for (const n of order) {
    h.update(`${n.kind}\u0000${n.name}\u0000${n.inputs.map((i) => producer.get(i) ?? '?').join(',')}\u0000${n.sideInputs.length}\n`);
  }
  return { ...(module !== undefined ? { module } : {}), graph: h.digest('hex'), steps: order.map((n) => n.name), maxParallelism };
}

/** A part of a checkpoint: one operator's snapshot file. */
export interface PartInfo {
  readonly name: string;
  /** The step (operator name) whose snapshot it is. */
  readonly step: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface CheckpointMetadata {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: number;
  readonly id: number;
  readonly createdAt: string;
  readonly job: JobFingerprint;
  /**
   * Taken on a pool of worker threads (`--workers N`, even N = 1): N, and `parts` holds N × operators entries,
   * worker-major (`w<i>-op-<n>.bin`). Absent: taken in one thread (`op-<n>.bin`), as every checkpoint before.
   */
  readonly workers?: number;
  readonly parts: readonly PartInfo[];
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function encodeMetadata(m: CheckpointMetadata): Uint8Array {
  return Buffer.from(JSON.stringify(m, null, 2) + '\n');
}

/** Parses a metadata file; throws a RiffleError saying what is wrong with it. */
export function decodeMetadata(bytes: Uint8Array, where: string): CheckpointMetadata {
  let m: unknown;
  try {
    m = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw invalid(where, `its metadata is not JSON (${(e as Error).message})`);
  }
  const o = m as Partial<CheckpointMetadata>;
  if (o === null || typeof o !== 'object' || o.format !== CHECKPOINT_FORMAT) throw invalid(where, 'its metadata is not a Riffle checkpoint');
  if (o.version !== CHECKPOINT_VERSION) throw invalid(where, `its format version is ${String(o.version)}; this Riffle reads version ${CHECKPOINT_VERSION}`);
  if (!Number.isSafeInteger(o.id) || !Array.isArray(o.parts) || typeof o.job?.graph !== 'string' || !Array.isArray(o.job.steps)) throw invalid(where, 'its metadata lacks fields');
  if (o.workers !== undefined && !(Number.isSafeInteger(o.workers) && o.workers >= 1 && o.parts.length % o.workers === 0)) throw invalid(where, `its metadata's workers (${String(o.workers)}) does not fit its ${o.parts.length} parts`);
  for (const p of o.parts) {
    if (typeof p?.name !== 'string' || typeof p.step !== 'string' || typeof p.sha256 !== 'string' || !Number.isSafeInteger(p.bytes)) throw invalid(where, 'a part entry of its metadata is malformed');
  }
  return o as CheckpointMetadata;
}

/** A checkpoint that cannot be used (damaged, partial, another version). */
export function invalid(where: string, what: string): RiffleError {
  return new RiffleError('CHECKPOINT_INVALID', `checkpoint ${where} cannot be used: ${what}`, {
    domain: 'user',
    hint: 'it is skipped for an earlier complete checkpoint; remove the directory if none is usable',
  });
}

/** Refuses a checkpoint directory of another job, naming what differs. */
export function checkSameJob(have: JobFingerprint, want: JobFingerprint, dir: string): void {
  const sameModule = have.module === undefined || want.module === undefined || have.module === want.module;
  if (sameModule && have.graph === want.graph) return;
  const diffs: string[] = [];
  if (!sameModule) diffs.push(`it was written by pipeline ${have.module}, this is ${want.module}`);
  if (have.maxParallelism !== want.maxParallelism) diffs.push(`maxParallelism was ${have.maxParallelism}, now ${want.maxParallelism}`);
  const gone = have.steps.filter((s) => !want.steps.includes(s));
  const added = want.steps.filter((s) => !have.steps.includes(s));
  if (gone.length > 0) diffs.push(`steps no longer in the pipeline: ${gone.slice(0, 5).join(', ')}${gone.length > 5 ? ', …' : ''}`);
  if (added.length > 0) diffs.push(`steps not in the checkpoint: ${added.slice(0, 5).join(', ')}${added.length > 5 ? ', …' : ''}`);
  if (diffs.length === (sameModule ? 0 : 1)) diffs.push('the steps are connected differently or changed kind');
  throw new RiffleError('CHECKPOINT_MISMATCH', `the checkpoint directory ${dir} holds checkpoints of another pipeline: ${diffs.join('; ')}`, {
    domain: 'user',
    hint: 'use a --checkpoint-dir of its own for each pipeline (or remove this one to start over); run without --resume to start from the beginning',
  });
}

const PART_MAGIC = 'RFCK';

/** One operator's part: its watermarks and counters, and what its `snapshot` returned (plain data and bytes). */
export interface OperatorPart {
  readonly step: string;
  readonly kind: string;
  readonly inputWatermark: number;
  readonly outputWatermark: number;
  readonly counters: readonly [elementsIn: number, elementsOut: number, droppedLate: number, errors: number];
  readonly state: unknown;
}

export function encodePart(p: OperatorPart): Uint8Array {
  const body = serialize(p);
  const out = Buffer.allocUnsafe(5 + body.length);
  out.write(PART_MAGIC, 0, 'latin1');
  out[4] = CHECKPOINT_VERSION;
  body.copy(out, 5);
  return out;
}

export function decodePart(bytes: Uint8Array, where: string): OperatorPart {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 5 || b.toString('latin1', 0, 4) !== PART_MAGIC) throw invalid(where, 'an operator file does not start with the checkpoint marker');
  if (b[4] !== CHECKPOINT_VERSION) throw invalid(where, `an operator file has format version ${b[4]}`);
  try {
    return deserialize(b.subarray(5)) as OperatorPart;
  } catch (e) {
    throw invalid(where, `an operator file does not decode (${(e as Error).message})`);
  }
}
