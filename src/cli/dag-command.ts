/**
 * `riffle dag <test|list> ...`: the orchestrator's commands.
 *   riffle dag test <dag-id> <date> [--dags <folder>] [--json] [--<param>=<value> ...]
 *     runs one DAG run in this process (in-memory store, inline executor), printing each task's state and duration;
 *     exit 0 when the run succeeds, 1 when it fails.
 *   riffle dag list [--dags <folder>] [--json]
 * DAG files are discovered in the folder (default ./dags); a file that fails to import, or has a cycle, is reported
 * and the others still load.
 */
import { formatDateIn, loadDagFolder, parseDateIn, testDag, type DagFileError, type TaskInstanceRecord } from '../orchestrator/index.ts';
import { parseArgs } from './args.ts';
import { ExitCode, UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import { formatTable } from './table.ts';

export const DAG_HELP = `usage: riffle dag <command> [--dags <folder>]

commands:
  test <dag-id> <date> [--json] [--<param>=<value> ...]   run one DAG run in-process, for debugging
  list [--json]                                          list the DAGs of the folder

options:
  --dags <folder>   where DAG files are (default ./dags)`;

const FLAGS = ['json', 'help'];

export async function dagCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { positionals, flags } = parseArgs(argv, { booleans: FLAGS });
  const [sub, ...args] = positionals;
  if (sub === undefined || flags.help === true) {
    io[sub === undefined && flags.help !== true ? 'err' : 'out'](DAG_HELP);
    return flags.help === true ? ExitCode.ok : ExitCode.usage;
  }
  const folder = typeof flags.dags === 'string' ? flags.dags : 'dags';
  const json = flags.json === true;
  if (sub === 'list') return list(folder, json, io);
  if (sub === 'test') {
    const [dagId, date] = args;
    if (dagId === undefined || date === undefined) throw new UsageError('missing the DAG id or the date', { hint: 'riffle dag test <dag-id> <date, e.g. 2024-01-01> --dags <folder>' });
    const params = Object.fromEntries(Object.entries(flags).filter(([k]) => !['dags', ...FLAGS].includes(k)));
    return test(folder, dagId, date, params, json, io);
  }
  throw new UsageError(`unknown dag command '${sub}'`, { hint: "use 'riffle dag test' or 'riffle dag list'" });
}

function reportFileErrors(errors: readonly DagFileError[], io: CliIO): void {
  for (const e of errors) io.err(`warning: ${e.file}: ${e.error.split('\n')[0]}`);
}

async function list(folder: string, json: boolean, io: CliIO): Promise<number> {
  const { dags, errors } = await loadDagFolder(folder);
  reportFileErrors(errors, io);
  const rows = [...dags.values()].map((d) => ({ id: d.id, schedule: d.schedule.spec, tasks: d.tasks.length, tags: d.tags.join(','), file: d.fileloc }));
  io.out(json ? JSON.stringify({ dags: rows, errors }, null, 2) : formatTable(['dag', 'schedule', 'tasks', 'tags', 'file'], rows.map((r) => [r.id, r.schedule ?? '-', r.tasks, r.tags, r.file])));
  return errors.length > 0 ? ExitCode.failed : ExitCode.ok;
}

async function test(folder: string, dagId: string, date: string, params: Record<string, unknown>, json: boolean, io: CliIO): Promise<number> {
  const { dags, errors } = await loadDagFolder(folder);
  reportFileErrors(errors, io);
  const dag = dags.get(dagId);
  if (!dag) {
    throw new UsageError(`no dag '${dagId}' in ${folder}`, { hint: `dags found: ${[...dags.keys()].join(', ') || 'none'}${errors.length > 0 ? ` (${errors.length} file(s) failed to load, see above)` : ''}` });
  }
  const logicalDate = parseDateIn(date, dag.timezone, 'date');
  // Values from the command line are strings; read them as the type of the DAG's default for that param.
  for (const [k, v] of Object.entries(params)) {
    const d = dag.params[k];
    if (typeof d === 'number' && typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) params[k] = Number(v);
    if (typeof d === 'boolean' && typeof v === 'string') params[k] = v === 'true';
  }
  const started = Date.now();
  const name = (ti: TaskInstanceRecord) => `${ti.taskId}${ti.mapIndex >= 0 ? `[${ti.mapIndex}]` : ''}`;
  const onTaskState = json ? undefined : (ti: TaskInstanceRecord) => {
    const elapsed = ((Date.now() - started) / 1000).toFixed(2).padStart(6);
    const detail = ti.state === 'running' ? `try ${ti.tryNumber}` : ti.duration !== null ? `${ti.duration} ms` : '';
    io.err(`[${elapsed}s] ${name(ti).padEnd(28)} ${ti.state.padEnd(16)} ${detail}${ti.error && ti.state !== 'success' ? `  ${ti.error.split('\n')[0]}` : ''}`);
  };
  const result = await testDag(dag, logicalDate, { conf: params, onTaskState });
  if (json) {
    io.out(JSON.stringify({ dag: dag.id, run: result.run, tasks: result.tasks, fileErrors: errors }, null, 2));
  } else {
    io.out(`dag ${dag.id}, logical date ${formatDateIn(result.run.logicalDate, dag.timezone)}: ${result.run.state} in ${Date.now() - started} ms`);
    io.out(formatTable(['task', 'state', 'tries', 'duration ms', 'error'], result.tasks.map((t) => [name(t), t.state, t.tryNumber, t.duration, t.state === 'failed' ? (t.error ?? '').split('\n')[0] : ''])));
  }
  return result.run.state === 'success' ? ExitCode.ok : ExitCode.failed;
}
