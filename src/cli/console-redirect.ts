/**
 * With `--json`, stdout holds one JSON document: what user code prints while a command runs (a pipeline being built
 * and run, DAG tasks under `riffle dag test`, a checkpoint's actions) goes to stderr instead. The CLI itself writes
 * its results to process.stdout directly, not through the console.
 */

/** Sends console.log/info/debug/dir/table to stderr until the returned function is called. */
export function consoleToStderr(): () => void {
  const saved = { log: console.log, info: console.info, debug: console.debug, dir: console.dir, table: console.table };
  const stderrConsole = new console.Console({ stdout: process.stderr, stderr: process.stderr });
  console.log = stderrConsole.log.bind(stderrConsole);
  console.info = stderrConsole.info.bind(stderrConsole);
  console.debug = stderrConsole.debug.bind(stderrConsole);
  console.dir = stderrConsole.dir.bind(stderrConsole);
  console.table = stderrConsole.table.bind(stderrConsole);
  return () => Object.assign(console, saved);
}
