/** `riffle config show [--json]`: the project's defaults as resolved here (file, environment), and where each came from. */
import { action, defineCommand, type CliContext, type Command } from './command-kit.ts';

/** `riffle config`. */
export function defineConfigCommand(ctx: CliContext): Command {
  const config = defineCommand('config', 'the project file (riffle.config.json|yaml|ts) and the environment variables that override it', [
    ['riffle config show', 'the defaults in effect here, and where each comes from'],
  ]).usage('show [options]');
  config.addCommand(defineCommand('show', 'the defaults in effect in this directory: each value and its source (the file, or a variable); flags override them', [
    ['riffle config show --json', 'as JSON'],
    ['RIFFLE_WORKERS=8 riffle config show', 'an environment variable wins over the file'],
  ])
    .option('--json', 'print one JSON document')
    .action(action(ctx, async (c) => {
      const [{ loadProjectConfig, PROJECT_CONFIG_ENV }, { formatTable }] = await Promise.all([import('../config/index.ts'), import('./table.ts')]);
      const { config: file } = c.optsWithGlobals<{ config?: string }>();
      const resolved = await loadProjectConfig({ cwd: ctx.io.cwd, env: ctx.io.env, file });
      const keys = Object.keys(PROJECT_CONFIG_ENV) as Array<keyof typeof PROJECT_CONFIG_ENV>;
      if (c.opts<{ json?: boolean }>().json === true) {
        ctx.io.out(JSON.stringify({ file: resolved.file ?? null, values: resolved.values, sources: resolved.sources }, null, 2));
        return 0;
      }
      ctx.io.out(`project file: ${resolved.file ?? 'none (riffle.config.json|yaml|yml|ts in this directory or above)'}`);
      ctx.io.out(formatTable(['key', 'value', 'from', 'variable'], keys.map((k) => [k, resolved.values[k] === undefined ? '-' : String(resolved.values[k]), resolved.sources[k] ?? '-', PROJECT_CONFIG_ENV[k].join(', ')])));
      return 0;
    })));
  return config;
}
