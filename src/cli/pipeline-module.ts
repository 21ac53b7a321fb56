import { stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { isRiffleError } from './cli-error.ts';
import { ConfigError, importUserModule, RiffleError, type ParamDecl, type ParamType, type PipelineDefinition } from '../model/index.ts';

const HOW_TO_DEFINE = "export default Pipeline.define({ params: { ... } }, (p, params) => { ... })";

/** A pipeline module, loaded: where it is and its definition. */
export interface LoadedPipeline {
  /** The path as the user wrote it (for messages). */
  readonly path: string;
  readonly definition: PipelineDefinition;
}

function isDefinition(value: unknown): value is PipelineDefinition {
  // Checked by shape, not instanceof: the module may have imported another copy of Riffle.
  const v = value as Partial<PipelineDefinition> | null | undefined;
  return typeof v === 'object' && v !== null && v.kind === 'riffle.pipeline' && typeof v.build === 'function' && typeof v.parseParams === 'function';
}

/**
 * Imports a pipeline module (a path relative to `cwd`; a .ts module loads through tsx, registered only for it) and returns
 * its default export, which must be a `Pipeline.define(...)` definition.
 */
export async function loadPipeline(path: string, cwd = process.cwd()): Promise<LoadedPipeline> {
  const absolute = resolve(cwd, path);
  const info = await stat(absolute).catch(() => undefined);
  if (!info?.isFile()) {
    throw new ConfigError(`no pipeline module at '${path}'${info?.isDirectory() ? ' (it is a directory)' : ''}`, {
      hint: `give the path of a .ts or .js file, relative to ${cwd}`,
    });
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importUserModule(absolute);
  } catch (e) {
    if (isRiffleError(e)) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    throw new RiffleError('MODULE_LOAD_FAILED', `could not load pipeline module '${path}': ${reason}`, {
      domain: 'user',
      cause: e,
      hint: 'fix the error in the module (run with RIFFLE_DEBUG=1 for the stack)',
    });
  }
  if (isDefinition(mod.default)) return { path, definition: mod.default };
  const named = Object.keys(mod).filter((k) => k !== 'default' && isDefinition(mod[k]));
  const found =
    named.length > 0
      ? `; it exports a definition as '${named[0]}' — make it the default export`
      : mod.default === undefined
        ? ' (it has no default export)'
        : ` (its default export is ${describeValue(mod.default)})`;
  throw new ConfigError(`'${relative(cwd, absolute) || path}' is not a pipeline module${found}`, { hint: `a pipeline module ends with: ${HOW_TO_DEFINE}` });
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object') {
    const name = (v as object).constructor?.name;
    if (name === 'Pipeline') return 'a Pipeline, not a definition';
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return `a ${typeof v}`;
}

/** One declared parameter, normalised. */
export interface ParamInfo {
  readonly name: string;
  readonly type: ParamType;
  readonly default: string | number | boolean | undefined;
  readonly required: boolean;
  readonly description: string | undefined;
}

/** The declared parameters of a definition, in declaration order. */
export function paramsOf(definition: PipelineDefinition): ParamInfo[] {
  return Object.entries(definition.params).map(([name, d]: [string, ParamDecl]) => {
    const decl = typeof d === 'string' ? { type: d } : d;
    const def = 'default' in decl ? decl.default : undefined;
    return { name, type: decl.type, default: def, required: def === undefined, description: 'description' in decl ? decl.description : undefined };
  });
}
