import { colourMessage, colours } from './colour.ts';
import type { ProgressSink } from './progress.ts';

/** What a command may touch of the process: output streams, the environment, the working directory. */
export interface CliIO {
  /** Writes a line (or lines) of results to stdout. */
  out(text: string): void;
  /** Writes a line (or lines) of messages to stderr. */
  err(text: string): void;
  /** Raw stderr, for progress. */
  readonly progress: ProgressSink;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** The real process's streams; messages on stderr are coloured only where colours apply (see colour.ts). */
export function processIO(): CliIO {
  const c = colours(process.stderr, process.env);
  return {
    out: (text) => void process.stdout.write(`${text}\n`),
    err: (text) => void process.stderr.write(`${colourMessage(text, c)}\n`),
    progress: { isTTY: process.stderr.isTTY === true, write: (text) => void process.stderr.write(text) },
    env: process.env,
    cwd: process.cwd(),
  };
}
