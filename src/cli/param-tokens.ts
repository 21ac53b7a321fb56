/**
 * The parameters of a pipeline (`riffle run p.ts --words=a,b --upper`) or of a DAG (`riffle dag test d 2024-01-01
 * --n=3`) as tokens: positionals and `--name=value`, `--name value`, `--flag`, `--no-flag`.
 *
 * Commands and their own options are parsed by commander (see command-kit.ts). Parameters cannot be: the module
 * declares them, so they are known only once it is loaded. The run action reads its tokens here knowing which
 * parameters are booleans (`--dry-run p.ts` must not take the path as its value), and the definition's
 * `parseParams` judges the names and values.
 */

/** Parsed arguments: positionals in order, and flags (the last occurrence of a name wins). */
export interface ParsedArgs {
  readonly positionals: string[];
  readonly flags: Record<string, string | boolean>;
}

export interface ParseOptions {
  /** Names that never take the next token as their value (e.g. `json`, boolean pipeline parameters). */
  readonly booleans?: ReadonlySet<string> | readonly string[];
}

/**
 * Parses argv (without the node and script paths).
 * - `--name=value` sets a string (the value may be empty or contain `=`);
 * - `--name value` takes the next token if it does not start with `--` and `name` is not a boolean (a boolean takes
 *   a following `true` or `false` only);
 * - `--flag` alone is `true`, `--no-flag` is `false`;
 * - everything after a bare `--` is positional.
 * @example parseParamTokens(['run', 'p.ts', '--n=3', '--json']) // { positionals: ['run', 'p.ts'], flags: { n: '3', json: true } }
 */
export function parseParamTokens(argv: readonly string[], opts: ParseOptions = {}): ParsedArgs {
  const booleans = new Set(opts.booleans ?? []);
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith('--') || token.length === 2) {
      positionals.push(token);
      continue;
    }
    const body = token.slice(2);
    const eq = body.indexOf('=');
    if (eq >= 0) {
      flags[body.slice(0, eq)] = body.slice(eq + 1);
      continue;
    }
    if (body.startsWith('no-') && body.length > 3) {
      flags[body.slice(3)] = false;
      continue;
    }
    const next = argv[i + 1];
    const takesNext = booleans.has(body) ? next === 'true' || next === 'false' : next !== undefined && !next.startsWith('--');
    if (takesNext) {
      flags[body] = next!;
      i++;
    } else {
      flags[body] = true;
    }
  }
  return { positionals, flags };
}

/** `output-dir` → `outputDir`, so that kebab-case flags reach camelCase parameters. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}
