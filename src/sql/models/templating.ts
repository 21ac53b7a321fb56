/**
 * Jinja templating of models, macros and tests, on nunjucks (a Jinja2-compatible engine: `{{ }}`, `{% if %}`,
 * `{% for %}`, `{% set %}`, `{% macro %}`, filters, whitespace control), loaded on first use. Templates are parsed
 * by nunjucks, never evaluated as JavaScript by us; the dbt functions are globals that call into the current render's
 * scope: `ref`, `source`, `var`, `config`, `is_incremental`, `this`, `target`, `env_var`, `log`,
 * `exceptions.raise_compiler_error`. Macro files (`macros/*.sql`) define macros callable from every template; a
 * `{% test name(model, column_name) %}` block defines a generic test (the macro `test_name`), as in dbt.
 *
 * Errors name the file and line: `models/orders.sql:3:12: ...`.
 */
import type { Environment } from 'nunjucks';
import { ModelsError } from './models-error.ts';
import type { ProjectSource } from './project.ts';

/** What the dbt functions of one render do. */
export interface RenderScope {
  ref(name: string, version?: unknown): string;
  source(source: string, table: string): string;
  config(values: Record<string, unknown>): void;
  isIncremental(): boolean;
  readonly this: string;
}

type Nunjucks = typeof import('nunjucks');
let loaded: Promise<Nunjucks> | undefined;
async function loadNunjucks(): Promise<Nunjucks> {
  loaded ??= import('nunjucks').then((m) => {
    const n = ((m as unknown as { default?: Nunjucks }).default ?? m) as Nunjucks;
    n.installJinjaCompat();
    return n;
  });
  return loaded;
}

/** `{% test x(...) %}…{% endtest %}` → `{% macro test_x(...) %}…{% endmacro %}` (same lines, so positions hold). */
export function testBlocksToMacros(text: string): string {
  return text
    .replace(/(\{%-?\s*)test(\s+)([A-Za-z_][A-Za-z0-9_]*)/g, (_m, open: string, space: string, name: string) => `${open}macro${space}test_${name}`)
    .replace(/(\{%-?\s*)endtest(\s*-?%\})/g, (_m, open: string, close: string) => `${open}endmacro${close}`);
}

/** The names of the macros a macro file defines (and the generic tests, as `test_<name>`). */
export function macroNames(text: string): string[] {
  return [...testBlocksToMacros(text).matchAll(/\{%-?\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)].map((m) => m[1]);
}

/** The templating of one project run: macros loaded once, then one render per template. */
export class Templating {
  private scope: RenderScope | undefined;
  private failure: unknown;
  private constructor(
    private readonly nunjucks: Nunjucks,
    private readonly env: Environment,
    /** Macro name → the file that defines it. */
    readonly macros: ReadonlyMap<string, string>,
  ) {}

  /** Loads nunjucks and the project's macros. */
  static async create(macroFiles: readonly ProjectSource[], vars: Readonly<Record<string, unknown>>, target: { name: string; schema: string; database: string }, env: NodeJS.ProcessEnv = process.env): Promise<Templating> {
    const n = await loadNunjucks();
    const environment = new n.Environment([], { autoescape: false, throwOnUndefined: false });
    const macros = new Map<string, string>();
    const t = new Templating(n, environment, macros);
    const inScope = <A extends unknown[], R>(f: (scope: RenderScope, ...args: A) => R) => (...args: A): R => {
      if (!t.scope) throw new Error('no template is being rendered');
      try {
        return f(t.scope, ...args);
      } catch (e) {
        t.failure ??= e;
        throw e;
      }
    };
    const fail = (e: ModelsError) => {
      t.failure ??= e;
      throw e;
    };
    environment.addGlobal('ref', inScope((s, name: unknown, second?: unknown) => s.ref(String(second !== undefined && typeof second === 'string' ? second : name))));
    environment.addGlobal('source', inScope((s, source: unknown, table: unknown) => s.source(String(source), String(table))));
    environment.addGlobal('config', inScope((s, ...args: unknown[]) => {
      const kw = args.at(-1);
      if (args.length !== 1 || kw === null || typeof kw !== 'object' || !(kw as { __keywords?: boolean }).__keywords) {
        fail(new ModelsError('MODELS_CONFIG', 'config() takes keyword arguments only: config(materialized="table", unique_key="id")'));
      }
      const { __keywords: _k, ...values } = kw as Record<string, unknown>;
      s.config(values);
      return '';
    }));
    environment.addGlobal('is_incremental', inScope((s) => s.isIncremental()));
    environment.addGlobal('var', (name: unknown, ...rest: unknown[]) => {
      const key = String(name);
      if (Object.prototype.hasOwnProperty.call(vars, key)) return vars[key];
      if (rest.length > 0) return rest[0];
      return fail(new ModelsError('MODELS_VAR', `var('${key}') is not set and has no default`, { hint: `give it a default (var('${key}', ...)), set it under vars: in the project file, or pass --vars '{"${key}": ...}'` }));
    });
    environment.addGlobal('env_var', (name: unknown, ...rest: unknown[]) => {
      const value = env[String(name)];
      if (value !== undefined) return value;
      if (rest.length > 0) return rest[0];
      return fail(new ModelsError('MODELS_VAR', `env_var('${String(name)}'): the environment variable is not set and there is no default`));
    });
    environment.addGlobal('log', () => '');
    environment.addGlobal('exceptions', { raise_compiler_error: (msg: unknown) => fail(new ModelsError('MODELS_TEMPLATE', String(msg))) });
    environment.addGlobal('target', { name: target.name, schema: target.schema, type: 'duckdb', database: target.database });
    environment.addGlobal('this', { toString: () => t.scope?.this ?? '' });
    // Macros: each file's exported macros become globals (callable from every template and from other macros).
    for (const f of macroFiles) {
      const text = testBlocksToMacros(f.text);
      let exported: Record<string, unknown> = {};
      const template = t.guard(f.file, () => new n.Template(text, environment, f.file, true), true);
      t.guard(f.file, () => {
        template.getExported((err, ex) => {
          if (err) throw err;
          exported = ex;
        });
      });
      for (const [name, fn] of Object.entries(exported)) {
        if (typeof fn !== 'function') continue;
        const other = macros.get(name);
        if (other) throw new ModelsError('MODELS_DUPLICATE', `${f.file}: the macro '${name}' is also defined in ${other}`, { hint: 'rename one of them' });
        macros.set(name, f.file);
        environment.addGlobal(name, fn);
      }
    }
    return t;
  }

  /** Renders a template with a scope for the dbt functions. */
  render(file: string, text: string, scope: RenderScope): string {
    const outer = this.scope;
    this.scope = scope;
    try {
      const template = this.guard(file, () => new this.nunjucks.Template(text, this.env, file, true), true);
      return this.guard(file, () => template.render({}));
    } finally {
      this.scope = outer;
    }
  }

  /** Whether a macro (or generic test `test_<name>`) is defined. */
  has(name: string): boolean {
    return this.macros.has(name);
  }

  /** Renders a call of a macro (a generic test) with keyword arguments given as template variables. */
  callMacro(file: string, name: string, args: Record<string, unknown>, scope: RenderScope): string {
    const names = Object.keys(args);
    const text = `{{ ${name}(${names.map((k) => `${k}=__args.${k}`).join(', ')}) }}`;
    const outer = this.scope;
    this.scope = scope;
    try {
      const template = this.guard(file, () => new this.nunjucks.Template(text, this.env, file, true), true);
      return this.guard(file, () => template.render({ __args: args }));
    } finally {
      this.scope = outer;
    }
  }

  /** Runs nunjucks; its errors become ModelsErrors with file:line:column (ours pass through with the position added). */
  // nunjucks numbers lines from 1 in parse errors and from 0 in render errors.
  private guard<T>(file: string, f: () => T, parsing = false): T {
    const outerFailure = this.failure;
    this.failure = undefined;
    try {
      return f();
    } catch (e) {
      // A nested render (an ephemeral model's, inside ref()) already placed its error: pass it on as it is.
      if (this.failure instanceof ModelsError && this.failure.context.line !== undefined) throw this.failure;
      const message = e instanceof Error ? e.message : String(e);
      const m = /^\(([^)]*)\)(?: \[Line (\d+), Column (\d+)\])?\n?\s*([\s\S]*)$/.exec(message);
      const line = m?.[2] !== undefined ? Number(m[2]) + (parsing ? 0 : 1) : undefined;
      const column = m?.[3] !== undefined ? Number(m[3]) + 1 : undefined;
      const where = `${m?.[1] || file}${line !== undefined ? `:${line}:${column}` : ''}`;
      const ours = this.failure;
      this.failure = outerFailure;
      if (ours instanceof ModelsError) {
        throw new ModelsError(ours.code as ConstructorParameters<typeof ModelsError>[0], `${where}: ${ours.message.split('\n  hint: ')[0]}`, { file, line, ...(ours.hint ? { hint: ours.hint } : {}) });
      }
      const reason = (m?.[4] ?? message).replace(/^Error: /, '').replace(/^Template render error: /, '');
      throw new ModelsError('MODELS_TEMPLATE', `${where}: ${reason}`, { file, line, hint: 'fix the template (Jinja syntax: {{ expression }}, {% statement %}, {# comment #})' });
    }
  }
}
