/**
 * `riffle run <pipeline.ts> [--param=value ...]` and `riffle template describe|run`: definitions only (the actions,
 * run-action.ts and template-describe.ts, load when the command runs).
 */
import { action, defineCommand, type CliContext, type Command } from './command-kit.ts';

/**
 * The tokens after the command's name, as typed: pipeline parameters are declared by the module, so the action reads
 * them itself once it is loaded (commander has parsed `--config` off, which is global).
 */
function tokensOf(cmd: Command): string[] {
  return cmd.parent!.args.slice(1);
}

/** `riffle run` (also `riffle template run`: the same command under another parent). */
export function defineRunCommand(ctx: CliContext): Command {
  const cmd = defineCommand('run', 'build and run a pipeline module on the embedded engine (or on Flink)', [
    ['riffle run examples/quickstart.ts --output=out', 'run a pipeline with a parameter'],
    ['riffle run p.ts --json --no-progress', 'the result as one JSON document (logs go to stderr)'],
    ['riffle run p.ts --workers 4 --memory 1g', 'four workers, a 1 GiB memory budget'],
    ['riffle run p.ts --explain', 'the fused execution plan, without running'],
    ['riffle run p.ts --checkpoint-dir ck --checkpoint-interval 10s', 'checkpoints every 10 s; after a crash, the same with --resume'],
    ['riffle run p.ts --runner=flink --flink-master=\'[local]\'', 'on Apache Flink through Beam\'s job server (fetched on first use)'],
    ['riffle run p.ts --help', "this help and the pipeline's parameters"],
  ])
    .argument('[pipeline]', 'the pipeline module (a .ts or .js file exporting Pipeline.define(...))')
    .usage('<pipeline.ts> [--param=value ...] [options]')
    .helpOption(false)
    .option('--json', 'print the result as one JSON document on stdout (the pipeline\'s own output goes to stderr)')
    .option('--explain', 'print the fused execution plan instead of running')
    .option('--no-progress', 'do not show progress on stderr')
    .option('--typecheck', 'type-check the module with the project\'s TypeScript first (errors as tsc prints them, exit 2)')
    .option('--dead-letter <path>', 'write rejected records (dead letters) to this JSON Lines file (default riffle-dead-letters/<pipeline>-<run id>.jsonl)')
    .option('--max-errors <n>', 'fail the run (exit 1) once more than N records were rejected')
    .option('--workers <n>', 'worker threads (default: the project file, $RIFFLE_WORKERS, else one per core, at most one per 64 MiB of bounded input)')
    .option('--memory <size>', 'memory budget of grouping and state, e.g. 512m or 1g (default: the project file, $RIFFLE_MEMORY)')
    .option('--checkpoint-dir <dir>', 'keep checkpoints here (default: checkpointDir of the project file); with --checkpoint-interval or --resume')
    .option('--checkpoint-interval <duration>', 'take a checkpoint this often, e.g. 10s (turns checkpoints on; default 10s once on); with --runner=flink, Flink\'s checkpointing interval')
    .option('--resume', 'continue from the newest complete checkpoint in the checkpoint directory (from the beginning when there is none)')
    .option('--checkpoints-retained <n>', 'complete checkpoints kept (default 3)')
    .option('--restart <strategy>', 'on a task failure in a checkpointed run: none, fixed-delay or exponential-backoff (default: none for bounded jobs, fixed-delay for streaming)')
    .option('--max-restarts <n>', 'restarts allowed by the restart strategy (default 3)')
    .option('--savepoint-dir <dir>', 'SIGUSR1 stops the job with a savepoint written here (runs on worker threads)')
    .option('--from-savepoint <dir>', 'start from the newest savepoint in this directory, matching stateful steps by name')
    .option('--allow-non-restored-state', 'with --from-savepoint: drop saved state of steps the pipeline no longer has (else refused)')
    .option('--runner <name>', 'local (the embedded engine, default) or flink (Beam\'s portable Flink runner; needs Java 17 and Maven)')
    .option('--flink-master <master>', "with --runner=flink: '[local]' (an embedded Flink, default), '[auto]' or a JobManager's host:port")
    .option('--parallelism <n>', "with --runner=flink: Flink's parallelism")
    .option('-h, --help', 'show this help; after a pipeline path, also its parameters')
    .allowUnknownOption()
    .allowExcessArguments();
  cmd.addHelpText('after', `
Parameters: --<param>=<value> (or --<param> <value>; --<flag> / --no-<flag> for booleans); --kebab-case names reach
camelCase parameters. 'riffle template describe <pipeline.ts>' lists them.
Records rejected by a step or a source whose error output nobody consumes are written as they occur to the
dead-letter file; the run warns with their count. Ctrl-C (or SIGTERM) cancels and removes temporary output.
SIGUSR1 stops the job with a savepoint into --savepoint-dir (exit 0); SIGUSR2 drains it: reading stops, every window
fires, sinks commit, exit 0.
Exit codes: 0 done, 1 the job failed, 2 usage, parameter or type error, 130 cancelled (SIGINT), 143 (SIGTERM).`);
  return cmd.action(action(ctx, async (c) => {
    const tokens = tokensOf(c);
    // `riffle run --help` without a module: the help needs nothing else (with a module, it also lists its parameters).
    if (tokens.some((t) => t === '--help' || t === '-h') && !tokens.some((t) => /\.[cm]?[jt]sx?$/.test(t))) {
      c.outputHelp();
      return 0;
    }
    const [{ runAction }, { projectDefaults }] = await Promise.all([import('./run-action.ts'), import('./project-defaults.ts')]);
    return runAction(tokens, ctx.io, { showHelp: () => c.outputHelp(), defaults: () => projectDefaults(c, ctx.io) });
  }));
}

/** `riffle template describe|run`. */
export function defineTemplateCommand(ctx: CliContext): Command {
  const template = defineCommand('template', 'pipeline templates: describe their parameters, run them', [
    ['riffle template describe p.ts', 'description and parameters as a table'],
    ['riffle template describe p.ts --json', 'the same as JSON'],
    ['riffle template run p.ts --input=x.csv', "the same as 'riffle run'"],
  ]);
  template.addCommand(
    defineCommand('describe', "show a template's description and parameters (name, type, default, description)", [
      ['riffle template describe examples/batch-etl.ts', 'its parameters as a table'],
    ])
      .argument('<pipeline>', 'the pipeline module')
      .option('--json', 'print one JSON document')
      .action(action(ctx, async (c) => {
        const { describeAction } = await import('./template-describe.ts');
        return describeAction(c.processedArgs[0] as string, c.opts<{ json?: boolean }>().json === true, ctx.io);
      })),
  );
  template.addCommand(defineRunCommand(ctx).description("run a template (the same as 'riffle run')"));
  return template;
}
