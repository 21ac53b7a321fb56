import { parseArgs } from './args.ts';
import { UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import { DESCRIBE_HELP } from './help.ts';
import { loadPipeline, paramsOf, type LoadedPipeline } from './pipeline-module.ts';
import { stringify } from './run-report.ts';
import { formatTable } from './table.ts';

/** `riffle template describe <pipeline.ts> [--json]`. */
export async function describeCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { positionals, flags } = parseArgs(argv, { booleans: ['json', 'help'] });
  if (flags.help === true) {
    io.out(DESCRIBE_HELP);
    return 0;
  }
  const unknown = Object.keys(flags).filter((k) => k !== 'json' && k !== 'help');
  if (unknown.length > 0) throw new UsageError(`unknown option --${unknown[0]} for 'template describe'`, { hint: 'it takes only --json' });
  const [path, ...extra] = positionals;
  if (path === undefined) throw new UsageError('missing the pipeline module', { hint: 'riffle template describe <pipeline.ts> [--json]' });
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`, { hint: 'riffle template describe <pipeline.ts> [--json]' });
  const loaded = await loadPipeline(path, io.cwd);
  if (flags.json === true) {
    io.out(stringify({ pipeline: path, description: loaded.definition.description ?? null, params: paramsOf(loaded.definition).map((p) => ({ ...p, default: p.default ?? null, description: p.description ?? null })) }));
  } else {
    io.out(describeTemplate(loaded));
  }
  return 0;
}

/** The description, a table of parameters and a usage line. */
export function describeTemplate({ path, definition }: LoadedPipeline): string {
  const params = paramsOf(definition);
  const out = [path, definition.description ?? '(no description)', ''];
  if (params.length === 0) out.push('parameters: none');
  else out.push(formatTable(['parameter', 'type', 'default', 'description'], params.map((p) => [p.name, p.type, p.required ? '(required)' : JSON.stringify(p.default), p.description ?? ''])));
  const usage = params.map((p) => (p.required ? `--${p.name}=<${p.type}>` : `[--${p.name}=<${p.type}>]`));
  out.push('', `usage: riffle run ${path}${usage.length > 0 ? ` ${usage.join(' ')}` : ''}`);
  return out.join('\n');
}
