/**
 * Configuration files (suites, contracts, checkpoints, DAG params, server config): one reader for YAML and JSON that
 * keeps line positions, one way to validate them against zod schemas, and one error that names the file, the line,
 * the key and what is expected, with "did you mean" for unknown keys and values. Imports only model/.
 * @example
 *   import { loadConfig } from '../config/index.ts';
 *   const cfg = loadConfig('server.yaml', z.strictObject({ port: z.number().int() }));
 */
export { readConfigFile, parseConfigText, configFromValue, configFormatOf, type ConfigDocument, type ConfigPath, type ConfigPosition } from './config-file.ts';
export { ConfigFileError, formatConfigIssue, formatConfigPath, type ConfigIssue } from './config-error.ts';
export { ConfigCheck, loadConfig, checkConfig } from './config-check.ts';
export { closest, didYouMean, editDistance } from '../model/index.ts';
export { findProjectConfig, loadProjectConfig, parseCount, parseSize, projectConfigSchema, PROJECT_CONFIG_ENV, PROJECT_CONFIG_FILES, type ProjectConfig, type ProjectConfigKey, type ResolvedProjectConfig } from './project-config.ts';
