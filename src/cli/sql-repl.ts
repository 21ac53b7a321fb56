/**
 * `riffle sql` without a query: a read-eval-print loop over one session. Statements end with ';' (and may span
 * lines); dot commands: .tables, .mode table|csv|json, .help, .exit (also .quit, Ctrl-D; Ctrl-C drops the statement
 * being typed, and quits on an empty line). On a terminal, with a
 * prompt and line editing, history kept in ~/.riffle_sql_history ($RIFFLE_SQL_HISTORY overrides the path); read
 * from a pipe, the same statements run without prompts and the exit code is 1 when one failed.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describeError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import { formatResult, type SqlFormat } from './sql-output.ts';
import { tokenize, type SqlSession } from '../sql/index.ts';

/** Where the REPL reads and writes. */
export interface ReplOptions {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  readonly format: SqlFormat;
  readonly stats: boolean;
  /** A terminal: prompts, line editing and history. */
  readonly interactive: boolean;
}

const HELP = `.tables             list tables and views
.mode table|csv|json  the output format
.exit               quit (also .quit, Ctrl-D)
SQL statements end with ';' and may span lines.`;

/** The history file: $RIFFLE_SQL_HISTORY, else ~/.riffle_sql_history. */
export function historyPath(env: NodeJS.ProcessEnv): string | undefined {
  if (env.RIFFLE_SQL_HISTORY) return env.RIFFLE_SQL_HISTORY;
  const home = env.HOME ?? env.USERPROFILE;
  return home ? join(home, '.riffle_sql_history') : undefined;
}

function loadHistory(path: string | undefined): string[] {
  if (path === undefined) return [];
  try {
    return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').reverse().slice(0, 1000);
  } catch {
    return [];
  }
}

/** Whether `buffer` holds complete statements (its last token is ';'). */
function complete(buffer: string): boolean {
  const tokens = tokenize(buffer);
  return tokens.length > 0 && tokens[tokens.length - 1].value === ';';
}

/**
 * Runs the loop until .exit or the end of the input; returns the exit code.
 *
 * @example
 * await runRepl(session, io, { input: process.stdin, output: process.stdout, format: 'table', stats: false, interactive: true });
 */
export async function runRepl(session: SqlSession, io: CliIO, options: ReplOptions): Promise<number> {
  const historyFile = options.interactive ? historyPath(io.env) : undefined;
  const rl = createInterface({
    input: options.input,
    output: options.interactive ? options.output : undefined,
    terminal: options.interactive,
    history: loadHistory(historyFile),
    historySize: 1000,
    removeHistoryDuplicates: true,
  });
  let format = options.format;
  let failed = false;
  let buffer = '';
  const prompt = () => {
    if (!options.interactive) return;
    rl.setPrompt(buffer === '' ? 'riffle> ' : '   ...> ');
    rl.prompt();
  };
  const remember = (entry: string) => {
    if (historyFile === undefined) return;
    try {
      appendFileSync(historyFile, `${entry.replace(/\s*\n\s*/g, ' ')}\n`, { mode: 0o600 });
    } catch {
      // history is a convenience: a read-only home does not stop the REPL
    }
  };
  // Ctrl-C drops the statement being typed; on an empty line it quits (as Ctrl-D does).
  rl.on('SIGINT', () => {
    if (buffer === '' && rl.line === '') { rl.close(); return; }
    buffer = '';
    options.output.write('^C\n');
    rl.write(null, { ctrl: true, name: 'u' }); // clear the line being edited
    prompt();
  });
  if (options.interactive) io.err(`riffle sql: end statements with ';', .help for commands, .exit to quit`);
  prompt();
  for await (const line of rl) {
    if (buffer === '' && line.trim().startsWith('.')) {
      const [command, arg] = line.trim().split(/\s+/);
      remember(line.trim());
      if (command === '.exit' || command === '.quit') break;
      if (command === '.help') io.out(HELP);
      else if (command === '.tables') {
        const tables = await session.tables();
        io.out(tables.length ? tables.join('\n') : '(no tables)');
      } else if (command === '.mode' && (arg === 'table' || arg === 'csv' || arg === 'json')) format = arg;
      else {
        io.err(`error: unknown command ${line.trim()}\n  hint: .tables, .mode table|csv|json, .help, .exit`);
        failed = true;
      }
      prompt();
      continue;
    }
    buffer = buffer === '' ? line : `${buffer}\n${line}`;
    if (buffer.trim() === '') { buffer = ''; prompt(); continue; }
    if (!complete(buffer)) { prompt(); continue; }
    const statement = buffer;
    buffer = '';
    remember(statement.trim());
    try {
      const result = await session.query(statement);
      if (options.stats) for (const s of result.scans) io.err(`delta('${s.table}') version ${s.version}: read ${s.filesRead} of ${s.filesTotal} files`);
      io.out(formatResult(result, format));
    } catch (e) {
      io.err(describeError(e, false, io.cwd));
      failed = true;
    }
    prompt();
  }
  rl.close();
  if (buffer.trim() !== '') {
    // The input ended inside a statement: run it as if it were closed.
    try {
      io.out(formatResult(await session.query(buffer), format));
    } catch (e) {
      io.err(describeError(e, false, io.cwd));
      failed = true;
    }
  }
  return failed && !options.interactive ? 1 : 0;
}
