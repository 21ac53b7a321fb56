/**
 * `riffle dag <command>` and `riffle scheduler`: the orchestrator's commands, as definitions (names, arguments,
 * options, help and examples). Their actions load when one runs: dag-definition-actions.ts (list, show, test),
 * dag-run-actions.ts (trigger, backfill, clear, mark, pause, unpause), dag-query-actions.ts (runs, tasks, logs,
 * stats), scheduler-action.ts. Exit codes: 0 done, 1 a run or command failed, 2 usage (unknown dag, run, task or
 * option, a bad param).
 */
import type { CliIO } from './cli-io.ts';
import { action, collect, defineCommand, Option, type CliContext, type Command } from './command-kit.ts';

const DAG_NOTES = `
<run> is a run id (riffle dag runs) or the run's logical date. Dates are read in the DAG's time zone:
2024-01-01, 2024-01-01T06:00, or ISO with an offset.

Params (--<param>=<value>, --conf k=v, --conf '{"k": 1}') are checked against the DAG's declared params
before a run is created: unknown names and values of the wrong type are refused (exit 2); text is read
as the param's type (riffle dag show lists them). In shell tasks, values are quoted for the shell.

While 'riffle scheduler' runs on the store, trigger, clear, mark, pause and unpause are sent to it (it
applies them at its next pass); backfill needs the store to itself. A PostgreSQL store is shared: commands
apply to it directly, and several schedulers (and backfills) may run on it at once.

The DAG folder and the store default to the project file (riffle.config.*: dags, store), then $RIFFLE_DAGS
and $RIFFLE_STORE (or $RIFFLE_ORCHESTRATOR_STORE), then ./dags and .riffle/orchestrator.
With --json, times are ISO-8601 strings and durations milliseconds.
Exit codes: 0 done, 1 a run or command failed, 2 usage error (unknown dag, run or task, bad option or param).`;

const confOption = () => new Option('--conf <k=v>', "a run param (repeatable), or a JSON object: --conf '{\"k\": 1}'").argParser(collect).default(undefined);
const paramOption = () => new Option('--param <k=v>', 'the same as --conf').argParser(collect).default(undefined).hideHelp();
const poolOption = (what: string) => new Option('--pool <name=N>', what).argParser(collect).default(undefined);

/** The actions' modules, loaded when a dag command runs. */
const definitions = () => import('./dag-definition-actions.ts');
const changes = () => import('./dag-run-actions.ts');
const queries = () => import('./dag-query-actions.ts');

/** `riffle dag`. */
export function defineDagCommand(ctx: CliContext): Command {
  const { io } = ctx;
  const dag = defineCommand('dag', 'DAGs: list, show, test, trigger, backfill, runs, tasks, logs, clear, mark, pause, unpause, stats', [
    ['riffle dag list', 'the DAGs of ./dags and whether they are paused'],
    ['riffle dag test daily-etl 2024-01-01 --workDir=/tmp/w', 'one run in this process, with a param'],
    ['riffle dag trigger daily-etl --conf n=3', 'queue a manual run (a scheduler runs it)'],
    ['riffle dag runs daily-etl --state failed --json', 'failed runs as JSON'],
  ])
    .usage('<command> [options]')
    .option('--dags <folder>', 'where DAG files are (default ./dags; a single DAG file works too)')
    .option('--store <path|url>', 'the metadata store: a directory (default .riffle/orchestrator) or postgres://user[:password]@host[:port]/db[?schema=name]')
    .option('--json', 'print results as one JSON document');
  dag.addHelpText('after', DAG_NOTES);

  dag.addCommand(defineCommand('list', 'the DAGs of the folder (and whether paused)', [['riffle dag list --dags examples/dags --json', 'as JSON']])
    .action(action(ctx, async (c) => (await definitions()).listAction(c, io))));
  dag.addCommand(defineCommand('show', "a DAG's schedule, options, params and tasks", [['riffle dag show daily-etl', 'its definition']])
    .argument('<dag>', 'the DAG id')
    .action(action(ctx, async (c) => (await definitions()).showAction(c, io))));
  dag.addCommand(defineCommand('test', 'run one DAG run in this process, for debugging (no store)', [
    ['riffle dag test daily-etl 2024-01-01', 'the run of that logical date'],
    ['riffle dag test daily-etl 2024-01-01 --n=3', 'with the param n'],
  ])
    .argument('<dag>', 'the DAG id')
    .argument('<date>', 'the logical date, e.g. 2024-01-01')
    .usage('<dag> <date> [--<param>=<value> ...] [options]')
    .addOption(confOption())
    .addOption(paramOption())
    .allowUnknownOption()
    .allowExcessArguments()
    .action(action(ctx, async (c) => (await definitions()).testAction(c, io))));
  dag.addCommand(defineCommand('trigger', "create a manual run (a scheduler runs it; while one holds the store, it goes to the scheduler's inbox)", [
    ['riffle dag trigger daily-etl --logical-date 2024-01-05 --conf n=3', 'a run for that date with a param'],
  ])
    .argument('<dag>', 'the DAG id')
    .addOption(confOption())
    .addOption(paramOption())
    .option('--logical-date <date>', 'the logical date of the run (default now)')
    .action(action(ctx, async (c) => (await changes()).triggerAction(c, io))));
  dag.addCommand(defineCommand('backfill', 'run every interval starting in [start, end] now, in worker processes, and wait for them', [
    ['riffle dag backfill daily-etl --start 2024-01-01 --end 2024-01-31 --max-active-runs 4', 'January, four runs at once'],
  ])
    .argument('<dag>', 'the DAG id')
    .option('--start <date>', 'the first logical date')
    .option('--end <date>', 'the last logical date')
    .option('--max-active-runs <n>', 'runs at once')
    .option('--parallelism <n>', 'task attempts at once (default 8)')
    .addOption(confOption())
    .addOption(paramOption())
    .addOption(poolOption('slots of a pool (repeatable; default_pool has 128)'))
    .action(action(ctx, async (c) => (await changes()).backfillAction(c, io))));
  dag.addCommand(defineCommand('runs', 'runs with their states and durations', [['riffle dag runs daily-etl --limit 5', 'the five latest runs']])
    .argument('<dag>', 'the DAG id')
    .option('--state <state>', 'only runs in this state: queued, running, success or failed')
    .option('--limit <n>', 'only the latest N runs')
    .action(action(ctx, async (c) => (await queries()).runsAction(c, io))));
  dag.addCommand(defineCommand('tasks', "the run's task instances: state, tries, duration, error", [['riffle dag tasks daily-etl 2024-01-01', 'the tasks of that run']])
    .argument('<dag>', 'the DAG id')
    .argument('<run>', 'the run id or its logical date')
    .action(action(ctx, async (c) => (await queries()).tasksAction(c, io))));
  dag.addCommand(defineCommand('logs', 'the log of one attempt of a task (default: the latest)', [['riffle dag logs daily-etl 2024-01-01 load --try 1', 'the first attempt of load']])
    .argument('<dag>', 'the DAG id')
    .argument('<run>', 'the run id or its logical date')
    .argument('<task>', 'the task id (a mapped instance: task[2])')
    .option('--try <n>', 'the attempt (default the latest)')
    .action(action(ctx, async (c) => (await queries()).logsAction(c, io))));
  for (const [name, what] of [['clear', 'reset task instances (a task id or a group id) so that they run again; the run goes back to running'], ['mark', "set task instances' state by hand"]] as const) {
    const cmd = defineCommand(name, what, [[`riffle dag ${name} daily-etl 2024-01-01 --task load${name === 'mark' ? ' --state success' : ''} --downstream`, name === 'clear' ? 'run load and what follows again' : 'mark load and what follows done']])
      .argument('<dag>', 'the DAG id')
      .argument('<run>', 'the run id or its logical date')
      .option('--task <t[,t...]>', 'the task ids or group ids');
    if (name === 'mark') cmd.option('--state <state>', 'success or failed');
    dag.addCommand(cmd.option('--downstream', 'also the tasks downstream of them').action(action(ctx, async (c) => (await changes()).changeTasksAction(c, io))));
  }
  for (const [name, what] of [['pause', 'a paused DAG gets no scheduled runs (test, trigger and backfill run either way)'], ['unpause', 'let a DAG\'s schedule run (new DAGs start paused)']] as const) {
    dag.addCommand(defineCommand(name, what, [[`riffle dag ${name} daily-etl`, name === 'pause' ? 'no scheduled runs' : 'scheduled runs again']])
      .argument('<dag>', 'the DAG id')
      .action(action(ctx, async (c) => (await changes()).pauseAction(c, io))));
  }
  dag.addCommand(defineCommand('stats', 'metrics: runs and task instances by state, durations (p50/p95), queue latency, pools, latest failures', [
    ['riffle dag stats --since 24h', 'the last day'],
  ])
    .option('--dag <dag>', 'only this DAG')
    .option('--since <24h|date>', 'a duration back from now (24h, 7d) or a date')
    .addOption(poolOption('slots of a pool, to show its use (repeatable)'))
    .action(action(ctx, async (c) => (await queries()).statsAction(c, io))));
  return dag;
}

/** `riffle scheduler`. */
export function defineSchedulerCommand(ctx: CliContext): Command {
  const cmd = defineCommand('scheduler', 'run the DAG scheduler and its worker processes until Ctrl-C', [
    ['riffle scheduler --dags dags', 'schedule the DAGs of ./dags until Ctrl-C'],
    ['riffle scheduler --once --json', 'process what is due, then exit; the runs as JSON'],
    ['riffle scheduler --pool db=4 --grace 1m', 'a pool of 4 slots; a minute for attempts to finish on Ctrl-C'],
  ])
    .option('--dags <folder>', 'where DAG files are (default ./dags; a single DAG file works too)')
    .option('--store <path|url>', 'the metadata store: a directory (default .riffle/orchestrator) or a postgres:// URL, which several schedulers may share')
    .option('--once', 'process the work that is due, and exit once no run is queued or running (exit 1 if a run it processed failed)')
    .option('--parallelism <n>', 'task attempts at once (default 8)')
    .option('--grace <duration>', 'on Ctrl-C, how long running attempts may take to finish (default 30s; 0 = none)')
    .addOption(poolOption('slots of a pool (repeatable; default_pool has 128, other pools none), counted over every scheduler on the store'))
    .option('--dags-paused-at-creation <bool>', 'whether DAGs new to the store start paused (default true, or $RIFFLE_DAGS_ARE_PAUSED_AT_CREATION)')
    .addOption(new Option('--poll-ms <ms>', 'how often the scheduler looks for work (default 500)').hideHelp())
    .option('--json', 'with --once, print the runs it processed as JSON');
  cmd.addHelpText('after', `
Creates runs for due intervals of unpaused DAGs (new DAGs start paused: riffle dag unpause <dag>), starts queued
runs (triggered ones too), runs their tasks with retries, timeouts and sensors, and records everything in the store.
Ctrl-C (or SIGTERM) drains: no new task starts, running attempts get --grace to finish; attempts still running then
are handed back (ready to run again, their try not counted). A second Ctrl-C hands them back at once. Exit code 0
(with --once, 130: the work it was asked to finish is not finished).`);
  return cmd.action(action(ctx, async (c) => (await import('./scheduler-action.ts')).schedulerAction(c, ctx.io)));
}

/**
 * `riffle dag ...` in-process: runs `argv` (the words after `dag`) and returns the exit code; errors are thrown, as
 * main() would print them. For tests and tools that drive the CLI without a process.
 */
export async function dagCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { execute } = await import('./program.ts');
  return execute(['dag', ...argv], io, [defineDagCommand]);
}

/** `riffle scheduler ...` in-process (see dagCommand). */
export async function schedulerCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { execute } = await import('./program.ts');
  return execute(['scheduler', ...argv], io, [defineSchedulerCommand]);
}
