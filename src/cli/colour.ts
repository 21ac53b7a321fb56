/**
 * Colours for the terminal, only where a person reads them: on when the stream is a TTY, off when `NO_COLOR` is set
 * (to anything but ''), forced with `FORCE_COLOR` (any value but '0' or 'false'; it wins over NO_COLOR, as in Node).
 * @example const c = colours(process.stderr, process.env); c.red('error:')
 */

/** Whether to colour a stream (see the file comment for the rules). */
export function colourEnabled(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY && env.TERM !== 'dumb';
}

/** The styles the CLI uses; each returns the text unchanged when colours are off. */
export interface Colours {
  readonly enabled: boolean;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

const style = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

/** The styles for a stream (by its isTTY) under the given environment. */
export function colours(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv): Colours {
  const on = colourEnabled(stream.isTTY === true, env);
  return on
    ? { enabled: true, red: style(31, 39), yellow: style(33, 39), green: style(32, 39), bold: style(1, 22), dim: style(2, 22) }
    : { enabled: false, red: plain, yellow: plain, green: plain, bold: plain, dim: plain };
}

/** Colours the leading `error:` / `warning:` of a message line, and its `hint:` lines dimmed. */
export function colourMessage(text: string, c: Colours): string {
  if (!c.enabled) return text;
  return text
    .replace(/^error:/, c.red(c.bold('error:')))
    .replace(/^warning:/, c.yellow('warning:'))
    .replace(/^( {2}hint: .*)$/gm, (line) => c.dim(line));
}
