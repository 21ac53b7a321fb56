/**
 * Checks of a job submission that the server makes itself, before any process starts: the pipeline module must be
 * a .ts/.js file inside the project directory (symbolic links followed: no path out of it), and the parameters'
 * names must be names (`--name=value` tokens of `riffle run`) that `riffle run` does not take for its own options.
 * The parameters' values are checked by the pipeline's own declaration, in the job's process (job-manager.ts).
 */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ApiError } from './api-error.ts';
import type { ParamValue } from './job-record.ts';

/** Options of `riffle run` that a parameter must not be mistaken for. */
export const RESERVED_PARAM_NAMES = [
  'json', 'explain', 'progress', 'no-progress', 'help', 'typecheck', 'resume', 'dead-letter', 'max-errors', 'workers', 'memory', 'checkpoint-dir',
  'checkpoint-interval', 'checkpoints-retained', 'restart', 'max-restarts', 'savepoint-dir', 'from-savepoint', 'allow-non-restored-state', 'config',
] as const;

const PARAM_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const MODULE = /\.[cm]?[jt]s$/;

function inside(root: string, path: string): boolean {
  const r = relative(root, path);
  return r !== '' && !r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r);
}

/** The module's path relative to `projectDir` (with '/' separators), or a 400 ApiError saying what is wrong. */
export function checkPipelinePath(projectDir: string, pipeline: string): string {
  // A module that is not there is a 404 (the request is well formed; what it names is missing); the rest are 400s.
  const fail = (code: string, message: string, hint: string) =>
    new ApiError(code === 'PIPELINE_NOT_FOUND' ? 404 : 400, code, message, hint, { file: pipeline, key: 'pipeline', expected: 'a .ts or .js module inside the project directory' });
  if (pipeline.includes('\0')) throw fail('PIPELINE_PATH_INVALID', 'the pipeline path holds a NUL character', 'give a relative path such as pipelines/etl.ts');
  if (isAbsolute(pipeline)) throw fail('PIPELINE_PATH_ESCAPES', `the pipeline path '${pipeline}' is absolute`, `give a path relative to the server's project directory ${projectDir}`);
  const absolute = resolve(projectDir, pipeline);
  if (!inside(projectDir, absolute)) throw fail('PIPELINE_PATH_ESCAPES', `the pipeline path '${pipeline}' leads out of the project directory`, `give a path inside ${projectDir}`);
  if (!MODULE.test(absolute)) throw fail('PIPELINE_PATH_INVALID', `'${pipeline}' is not a .ts or .js module`, 'a pipeline module ends with .ts, .mts, .js or .mjs');
  let real: string;
  try {
    real = realpathSync(absolute);
  } catch {
    throw fail('PIPELINE_NOT_FOUND', `no pipeline module at '${pipeline}'`, `paths are relative to the server's project directory ${projectDir}`);
  }
  if (!inside(realpathSync(projectDir), real)) throw fail('PIPELINE_PATH_ESCAPES', `'${pipeline}' is a link to a file out of the project directory`, `give a module inside ${projectDir}`);
  if (!statSync(real).isFile()) throw fail('PIPELINE_NOT_FOUND', `'${pipeline}' is not a file`, 'give the path of a .ts or .js module');
  return relative(projectDir, absolute).split(sep).join('/');
}

/** The `--name=value` tokens of the parameters, or a 400 ApiError naming the key. */
export function paramTokens(pipeline: string, params: Readonly<Record<string, ParamValue>>): string[] {
  const tokens: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (!PARAM_NAME.test(key)) {
      throw new ApiError(400, 'PARAM_INVALID', `parameter name '${key}' is not a name`, 'names start with a letter and hold letters, digits, - and _', { file: pipeline, key: `params.${key}`, expected: 'a name matching [A-Za-z][A-Za-z0-9_-]*' });
    }
    if ((RESERVED_PARAM_NAMES as readonly string[]).includes(key)) {
      throw new ApiError(400, 'PARAM_RESERVED', `parameter '${key}' is an option of riffle run, not a pipeline parameter`, `riffle server does not pass run options; rename the parameter (reserved: ${RESERVED_PARAM_NAMES.join(', ')})`, { file: pipeline, key: `params.${key}`, expected: 'a parameter the pipeline declares' });
    }
    tokens.push(`--${key}=${String(value)}`);
  }
  return tokens;
}

/** The key a `riffle run` parameter error names (`unknown parameter --bogus`, `parameter --n: expected ...`). */
export function keyOfParamError(message: string): string | null {
  const m = /parameters? --([A-Za-z0-9_-]+)/.exec(message);
  return m ? `params.${m[1]}` : null;
}
