/** Help texts of `riffle` and its commands. */

export const MAIN_HELP = `riffle — run Beam-model pipelines on the embedded engine

usage: riffle <command> [arguments]

commands:
  run <pipeline.ts> [--param=value ...]    build and run a pipeline module
  template describe <pipeline.ts>          show a template's description and parameters
  template run <pipeline.ts> [...]         run a template (same as run)
  dag <command> ...                        DAGs: list, show, test, trigger, backfill, runs, tasks,
                                           logs, clear, mark, pause, unpause (riffle dag --help)
  scheduler --dags <folder>                run the DAG scheduler and its workers until Ctrl-C
  store check|repair [--store <dir>]       check or repair the scheduler's metadata store
  contract test <contract> --data <file>   check data against a data contract (also: contract diff)
  table <command> <table> ...              Delta tables: write, merge, describe, history, show,
                                           optimize, vacuum, restore, changes, set-property (riffle table --help)
  quality <command> ...                    data quality: profile, checkpoint run, results
  version, -V, --version                   print the version
  help [command]                           show help for a command

'riffle <command> --help' shows a command's options.
Set RIFFLE_DEBUG=1 to see stacks of errors.`;

export const RUN_HELP = `usage: riffle run <pipeline.ts> [--param=value ...] [--json] [--explain] [--no-progress]
                  [--typecheck] [--dead-letter PATH] [--max-errors N]

Imports the module (a path relative to the current directory), takes its default export
  export default Pipeline.define({ params: { ... } }, (p, params) => { ... })
checks the parameters, builds the pipeline and runs it on the embedded engine. Ctrl-C (or SIGTERM)
cancels at any stage and removes temporary output.

Records rejected by a step or a source whose error output nobody consumes (dead letters) are
written as they occur, one JSON object per line (step, error, element or raw text, origin), to
riffle-dead-letters/<pipeline>-<run id>.jsonl in the current directory; the run then warns with
their count and the file. No file is created when nothing is rejected.

options:
  --<param>=<value>   a pipeline parameter; also --<param> <value>, and --<flag> / --no-<flag> for
                      booleans; --kebab-case names reach camelCase parameters
  --json              print the result as one JSON document on stdout
  --explain           print the fused execution plan instead of running
  --no-progress       do not show progress on stderr
  --typecheck         type-check the module with the project's TypeScript first (incremental, cached
                      in node_modules/.cache/riffle); errors print as tsc prints them, exit code 2
  --dead-letter PATH  write dead letters to PATH instead
  --max-errors N      fail the run (exit code 1) once more than N records were rejected
  --help              show this help; after a pipeline path, also its parameters

exit codes: 0 done, 1 the job failed, 2 usage, parameter or type error, 130 cancelled (SIGINT),
143 cancelled (SIGTERM)`;

export const TEMPLATE_HELP = `usage: riffle template <describe|run> <pipeline.ts> [...]

A pipeline module with declared parameters is a template.
  describe <pipeline.ts> [--json]   its description and parameters (name, type, default, description)
  run <pipeline.ts> [--param=...]   run it (same as 'riffle run'; see 'riffle run --help')`;

export const DESCRIBE_HELP = `usage: riffle template describe <pipeline.ts> [--json]

Prints the template's description and a table of its parameters, or with --json one JSON document.`;

export const VERSION_HELP = `usage: riffle version

Prints the version of Riffle and of Node.js.`;

export const DAG_HELP = `usage: riffle dag <command> [arguments] [--dags <folder>] [--store <path|url>] [--json]

definitions (read from the DAG folder):
  list                                       the DAGs of the folder (and whether paused)
  show <dag>                                 a DAG's schedule, options, params and tasks
  test <dag> <date> [--<param>=<value> ...]  run one DAG run in this process, for debugging

runs (in the metadata store):
  trigger <dag> [--conf k=v ...] [--logical-date <date>]
                                             create a manual run (a scheduler runs it); --param is --conf
  backfill <dag> --start <date> --end <date> [--max-active-runs N] [--conf k=v ...] [--pool name=N ...]
                                             run every interval starting in [start, end] now, in worker
                                             processes, and wait for them
  runs <dag> [--state queued|running|success|failed] [--limit N]
                                             runs with their states and durations
  tasks <dag> <run>                          the run's task instances: state, tries, duration, error
  logs <dag> <run> <task> [--try N]          the log of one attempt (default: the latest)
  clear <dag> <run> --task <t[,t...]> [--downstream]
                                             reset task instances (a task id or a group id) so that
                                             they run again; the run goes back to running
  mark <dag> <run> --task <t[,t...]> --state success|failed [--downstream]
                                             set task instances' state by hand
  pause <dag> | unpause <dag>                a paused DAG gets no scheduled runs; new DAGs start paused
                                             (test, trigger and backfill run either way)
  stats [--dag <dag>] [--since 24h|<date>] [--pool name=N ...]
                                             metrics: runs and task instances by state, task and run
                                             durations (p50/p95), queue latency, pools, latest failures

<run> is a run id (riffle dag runs) or the run's logical date. Dates are read in the DAG's time zone:
2024-01-01, 2024-01-01T06:00, or ISO with an offset.

Params (--<param>=<value>, --conf k=v, --conf '{"k": 1}') are checked against the DAG's declared params
before a run is created: unknown names and values of the wrong type are refused (exit 2); text is read
as the param's type (riffle dag show lists them). In shell tasks, values are quoted for the shell.

While 'riffle scheduler' runs on the store, trigger, clear, mark, pause and unpause are sent to it (it
applies them at its next pass); backfill needs the store to itself. A PostgreSQL store is shared: commands
apply to it directly, and several schedulers (and backfills) may run on it at once.

options:
  --dags <folder>   where DAG files are (default ./dags; a single DAG file works too)
  --store <path|url> the metadata store: a directory (default .riffle/orchestrator, or
                    $RIFFLE_ORCHESTRATOR_STORE) or postgres://user[:password]@host[:port]/db[?schema=name]
  --json            print results as one JSON document

exit codes: 0 done, 1 a run or command failed, 2 usage error (unknown dag, run or task, bad option or param)`;

export const SCHEDULER_HELP = `usage: riffle scheduler --dags <folder> [--store <path|url>] [--once] [--parallelism N] [--grace D] [--json]

Runs the scheduler and its worker processes: creates runs for due intervals of unpaused DAGs (new DAGs
start paused: riffle dag unpause <dag>), starts queued runs (triggered ones too), runs their tasks with
retries, timeouts and sensors, and records everything in the metadata store.

Stopping: Ctrl-C (or SIGTERM) drains — no new task starts, running attempts get --grace to finish and
their outcomes are recorded; attempts still running then are stopped and handed back: ready to run
again at the next start, their try not counted. A second Ctrl-C hands them back at once. Exit code 0
(with --once, 130: the work it was asked to finish is not finished).
If the scheduler dies (killed, crashed), its task processes do not: each finishes its attempt and
records the outcome itself, and the next scheduler on the store adopts them and waits for them.
Attempts whose process is gone by then are handed back without counting a try. A task's own crash,
timeout or hang still counts as a failed try.

options:
  --dags <folder>     where DAG files are (default ./dags; a single DAG file works too)
  --store <path|url>  the metadata store: a directory (default .riffle/orchestrator, or
                      $RIFFLE_ORCHESTRATOR_STORE) or a postgres:// URL, which several schedulers may share
  --once              process the work that is due, and exit once no run is queued or running
                      (exit 1 if a run it processed failed)
  --parallelism N     task attempts at once (default 8)
  --grace D           on Ctrl-C, how long running attempts may take to finish (default 30s; 0 = none)
  --pool name=N       slots of a pool (repeatable; default_pool has 128, other pools none): its tasks
                      take their poolSlots while queued or running, counted over every scheduler on the
                      store; give schedulers that share a store the same pools
  --dags-paused-at-creation true|false
                      whether DAGs new to the store start paused (default true, or
                      $RIFFLE_DAGS_ARE_PAUSED_AT_CREATION; a DAG's isPausedUponCreation wins):
                      'riffle dag unpause <dag>' lets a paused DAG's schedule run
  --json              with --once, print the runs it processed as JSON`;


export const TABLE_HELP = `usage: riffle table <command> <table> [options] [--json]

Delta Lake tables in a local directory (read and written interchangeably with delta-rs and Spark).

commands:
  write <table> --from <file.csv|.jsonl|.parquet> [--mode append|overwrite] [--partition-by c,...] [--merge-schema]
        [--property k=v ...] [--columns c:type,... | --schema FILE] [--invalid-utf8 error|replace]
      append (or overwrite with) the file's rows; creates the table when missing, with column types
      inferred from the file (CSV: long, double, boolean, date, timestamp, else string) and the given
      partition columns; rows must match an existing table unless --merge-schema adds new columns;
      --property (repeatable) sets a table property: at creation, or on an existing table as its own
      commit before the write; --columns id:string,amount:double or --schema FILE (JSON/YAML column → type)
      fix CSV column types (string keeps cells as written, e.g. 007); unreadable records (bad quoting, a wrong
      field count, lines that are not UTF-8 unless --invalid-utf8 replace) refuse the input
  merge <table> --from <file> --on <key,...> [--columns c:type,... | --schema FILE]
      upsert: rows matching a table row on the keys update it (the file's columns), the others are inserted
  describe <table>          version, schema, partition columns, properties, protocol, files, size
  history <table> [--limit N]
      commits, newest first: version, time, operation, parameters
  show <table> [--version N | --timestamp T] [--where "c = v and d > 3"] [--columns c,...] [--limit N]
      rows at a version (default latest; --limit defaults to 20 without --json); --where is a conjunction of
      column comparisons (=, !=, <, <=, >, >=, is [not] null, in (...)) that also skips files
  optimize <table> [--zorder-by c,...] [--target-size 128MB] [--where "<partition predicate>"]
      compact small files, or cluster them by up to 4 columns (Z-order) so predicates skip more files
  vacuum <table> [--retention-hours H] [--dry-run] [--force]
      delete files no version within the retention needs (default 168 hours; below it needs --force)
  restore <table> --version N | --timestamp T
      make an earlier version current again (a new RESTORE commit)
  changes <table> --from V [--to V]
      the change data feed (delta.enableChangeDataFeed=true): _change_type, _commit_version, rows
  set-property <table> k=v [k=v ...]
      set table properties in one commit (Delta's ALTER TABLE SET TBLPROPERTIES); delta.* keys must be
      ones Riffle honours: delta.enableChangeDataFeed, delta.appendOnly, delta.checkpointInterval,
      delta.logRetentionDuration, delta.deletedFileRetentionDuration, delta.checkpointRetentionDuration,
      delta.dataSkippingNumIndexedCols, delta.enableExpiredLogCleanup; other keys are free-form.
      delta.enableChangeDataFeed=true turns the feed on for the commits from this one on

options:
  --json    print the result as one JSON document (timestamps as ISO-8601, longs as numbers when exact)
  --allow-external-files
            read data files the log names outside the table (absolute paths, e.g. a shallow clone's);
            without it such a log is refused
  --help    show this help

exit codes: 0 done, 1 the operation failed (no such table, conflict, bad data), 2 usage error`;
