/**
 * The project's defaults for a command: the project file (`--config FILE`, else riffle.config.* found upward from
 * the working directory) overridden by the environment (see src/config/project-config.ts). Flags override both: a
 * command takes `flag ?? defaults.x ?? built-in default`.
 */
import { loadProjectConfig, type ProjectConfig } from '../config/index.ts';
import type { CliIO } from './cli-io.ts';
import type { Command } from './command-kit.ts';

/** The project's defaults for the command being run (`cmd` gives the global `--config`). */
export async function projectDefaults(cmd: Command, io: CliIO): Promise<ProjectConfig> {
  const { config } = cmd.optsWithGlobals<{ config?: string }>();
  return (await loadProjectConfig({ cwd: io.cwd, env: io.env, file: config })).values;
}
