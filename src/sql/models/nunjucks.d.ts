// The part of nunjucks 3.2 (a Jinja2-compatible template engine) the model templating uses.
declare module 'nunjucks' {
  export class Environment {
    constructor(loaders?: unknown[], opts?: { autoescape?: boolean; throwOnUndefined?: boolean; trimBlocks?: boolean; lstripBlocks?: boolean });
    addGlobal(name: string, value: unknown): this;
    addFilter(name: string, fn: (...args: any[]) => unknown): this;
  }
  export class Template {
    constructor(src: string, env: Environment, path: string, eagerCompile?: boolean);
    render(ctx?: object): string;
    getExported(cb: (err: Error | null, exported: Record<string, unknown>) => void): void;
  }
  export function installJinjaCompat(): void;
  const nunjucks: { Environment: typeof Environment; Template: typeof Template; installJinjaCompat: typeof installJinjaCompat };
  export default nunjucks;
}
