import type { CliIO } from './cli-io.ts';
import { loadPipeline, paramsOf, type LoadedPipeline } from './pipeline-module.ts';
import { stringify } from './run-report.ts';
import { formatTable } from './table.ts';

/** `riffle template describe <pipeline.ts> [--json]`: the template's description and parameters. */
export async function describeAction(path: string, json: boolean, io: CliIO): Promise<number> {
  const loaded = await loadPipeline(path, io.cwd);
  if (json) {
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
