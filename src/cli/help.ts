/** Help texts of `riffle` and its commands. */

export const MAIN_HELP = `riffle — run Beam-model pipelines on the embedded engine

usage: riffle <command> [arguments]

commands:
  run <pipeline.ts> [--param=value ...]    build and run a pipeline module
  template describe <pipeline.ts>          show a template's description and parameters
  template run <pipeline.ts> [...]         run a template (same as run)
  dag test <dag> <date> --dags <folder>    run one DAG run in-process (also: dag list)
  contract test <contract> --data <file>   check data against a data contract (also: contract diff)
  version                                  print the version
  help [command]                           show help for a command

'riffle <command> --help' shows a command's options.
Set RIFFLE_DEBUG=1 to see stacks of errors.`;

export const RUN_HELP = `usage: riffle run <pipeline.ts> [--param=value ...] [--json] [--explain] [--no-progress]

Imports the module (a path relative to the current directory), takes its default export
  export default Pipeline.define({ params: { ... } }, (p, params) => { ... })
checks the parameters, builds the pipeline and runs it on the embedded engine. Ctrl-C cancels.

options:
  --<param>=<value>   a pipeline parameter; also --<param> <value>, and --<flag> / --no-<flag> for
                      booleans; --kebab-case names reach camelCase parameters
  --json              print the result as one JSON document on stdout
  --explain           print the fused execution plan instead of running
  --no-progress       do not show progress on stderr
  --help              show this help; after a pipeline path, also its parameters

exit codes: 0 done, 1 the job failed, 2 usage or parameter error, 130 cancelled`;

export const TEMPLATE_HELP = `usage: riffle template <describe|run> <pipeline.ts> [...]

A pipeline module with declared parameters is a template.
  describe <pipeline.ts> [--json]   its description and parameters (name, type, default, description)
  run <pipeline.ts> [--param=...]   run it (same as 'riffle run'; see 'riffle run --help')`;

export const DESCRIBE_HELP = `usage: riffle template describe <pipeline.ts> [--json]

Prints the template's description and a table of its parameters, or with --json one JSON document.`;

export const VERSION_HELP = `usage: riffle version

Prints the version of Riffle and of Node.js.`;
