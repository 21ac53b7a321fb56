/**
 * `riffle run`'s runner flags: `--runner=local|flink`, and for Flink `--flink-master='[local]'|'[auto]'|host:port`
 * and `--parallelism N`; `--checkpoint-interval` is Flink's checkpointing interval there. Checked while the command
 * line is read, before any work: an unknown runner, a malformed master, a parallelism that is not a positive whole
 * number, Flink flags without `--runner=flink`, or embedded-engine flags (workers, memory, checkpoint directories,
 * savepoints) with it are usage errors (exit 2).
 */
import type { Runner } from '../model/index.ts';
import { UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';

export interface RunnerFlags {
  runner?: 'local' | 'flink';
  flinkMaster?: string;
  parallelism?: number;
  /** `--checkpoint-interval` (shared with the embedded engine's flag): with Flink, its checkpointing interval. */
  checkpointIntervalMs?: number;
}

/** The flags this file reads (by their command-line names). */
export const RUNNER_FLAG_NAMES: readonly string[] = ['runner', 'flink-master', 'parallelism'];

/** Reads one runner flag into `into`; false when `name` is not one of them. */
export function readRunnerFlag(name: string, value: string | boolean, into: RunnerFlags): boolean {
  const text = typeof value === 'string' ? value : '';
  switch (name) {
    case 'runner':
      if (text !== 'local' && text !== 'flink') throw new UsageError(`--runner takes local or flink (got '${String(value)}')`, { hint: "e.g. riffle run p.ts --runner=flink --flink-master='[local]'" });
      into.runner = text;
      return true;
    case 'flink-master':
      if (!/^\[(local|auto)\]$/.test(text) && !/^[A-Za-z0-9.-]+:\d{1,5}$/.test(text)) {
        throw new UsageError(`--flink-master takes [local], [auto] or a JobManager's host:port (got '${String(value)}')`, { hint: "e.g. --flink-master='[local]' or --flink-master=jobmanager:8081 (quote [local] in the shell)" });
      }
      into.flinkMaster = text;
      return true;
    case 'parallelism': {
      const n = /^\d+$/.test(text) ? Number(text) : NaN;
      if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--parallelism takes a whole number ≥ 1 (got '${String(value)}')`, { hint: 'e.g. --parallelism 2' });
      into.parallelism = n;
      return true;
    }
    default:
      return false;
  }
}

/** Flags that only apply to one runner, checked together once every flag is read. */
export function checkRunnerFlags(flags: RunnerFlags & Readonly<Record<string, unknown>>): void {
  if (flags.runner !== 'flink') {
    const given = (['flinkMaster', 'parallelism'] as const).filter((k) => flags[k] !== undefined);
    if (given.length > 0) throw new UsageError(`${given.map((k) => (k === 'flinkMaster' ? '--flink-master' : '--parallelism')).join(' and ')} appl${given.length === 1 ? 'ies' : 'y'} to --runner=flink`, { hint: "e.g. riffle run p.ts --runner=flink --flink-master='[local]' --parallelism 2" });
    return;
  }
  const local: Array<[string, string]> = [
    ['workers', '--workers'],
    ['memoryBytes', '--memory'],
    ['checkpointDir', '--checkpoint-dir'],
    ['resume', '--resume'],
    ['savepointDir', '--savepoint-dir'],
    ['fromSavepoint', '--from-savepoint'],
    ['restart', '--restart'],
  ];
  const wrong = local.filter(([k]) => flags[k] !== undefined && flags[k] !== false).map(([, f]) => f);
  if (wrong.length > 0) throw new UsageError(`${wrong.join(', ')} appl${wrong.length === 1 ? 'ies' : 'y'} to the embedded engine, not to --runner=flink`, { hint: 'Flink has its own parallelism (--parallelism N) and checkpointing' });
}

/** The Flink runner for these flags: job states go to stderr as progress lines. */
export async function flinkRunnerOf(flags: RunnerFlags, io: CliIO, showProgress: boolean): Promise<Runner> {
  const harness = process.env.RIFFLE_FLINK_HARNESS;
  if (harness !== undefined && harness !== 'process' && harness !== 'loopback') {
    throw new UsageError(`RIFFLE_FLINK_HARNESS takes process or loopback (got '${harness}')`, { hint: 'unset it for the default (Flink starts riffle harness)' });
  }
  const { FlinkRunner } = await import('../runner/portable/index.ts');
  const master = flags.flinkMaster ?? '[local]';
  if (showProgress) io.err(`running on Flink (${master}${flags.parallelism !== undefined ? `, parallelism ${flags.parallelism}` : ''}) through Beam's portable job server`);
  return new FlinkRunner({
    flinkMaster: master,
    ...(flags.parallelism !== undefined ? { parallelism: flags.parallelism } : {}),
    ...(flags.checkpointIntervalMs !== undefined ? { checkpointIntervalMs: flags.checkpointIntervalMs } : {}),
    ...(harness !== undefined ? { harness } : {}),
    ...(showProgress ? { onState: (state: string, ms: number) => io.err(`flink: ${state} (${(ms / 1000).toFixed(1)} s)`), log: (line: string) => io.err(line) } : {}),
  });
}
