import { ConfigError } from '../model/index.ts';

/** One mistake in a configuration file: where (file, line, key path) and what is expected. */
export interface ConfigIssue {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly path: ReadonlyArray<string | number>;
  /** What is wrong and what is expected, e.g. "unknown key `requird` (did you mean `required`?)". */
  readonly message: string;
}

/** `schema.fields[0].required`, `models.orders.fields["order id"]`. */
export function formatConfigPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(step)) out += out === '' ? step : `.${step}`;
    else out += `[${JSON.stringify(step)}]`;
  }
  return out;
}

/** `file:line:column: key.path: message`. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.line !== undefined ? `${issue.file}:${issue.line}${issue.column !== undefined ? `:${issue.column}` : ''}` : issue.file;
  const key = formatConfigPath(issue.path);
  return `${where}: ${key !== '' ? `${key}: ` : ''}${issue.message}`;
}

/**
 * A configuration file (or value) is invalid: every issue found, each with its file, line, key path and what is
 * expected. Found before any work starts (a ConfigError: the CLI exits 2).
 */
export class ConfigFileError extends ConfigError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[], opts: { hint?: string } = {}) {
    const lines = issues.map(formatConfigIssue);
    const message = lines.length === 1 ? lines[0]! : `${issues[0]?.file ?? 'configuration'}: ${lines.length} problems\n${lines.map((l) => `  ${l}`).join('\n')}`;
    super(message, opts);
    this.issues = issues;
  }
}
