/**
 * Declared CSV column types for `riffle table write|merge`, `riffle contract test` and `riffle quality profile`:
 * `--columns id:string,amount:double` and/or `--schema FILE` (JSON or YAML: `{ "id": "string", "amount": "double" }`,
 * or `{ "columns": { ... } }`). A declared type replaces inference for that column; `string` keeps cells exactly as
 * written (`007` stays `007`, `NA` stays `NA`; only the empty cell is missing).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { UsageError } from './cli-error.ts';

/** The types a column may be declared with (Delta's primitive types; `number` is double, `int` is integer). */
export type DeclaredType = 'string' | 'long' | 'integer' | 'double' | 'boolean' | 'date' | 'timestamp';

const ALIASES: Readonly<Record<string, DeclaredType>> = {
  string: 'string', str: 'string', text: 'string',
  long: 'long', bigint: 'long', int64: 'long',
  integer: 'integer', int: 'integer', int32: 'integer',
  double: 'double', float: 'double', number: 'double', float64: 'double',
  boolean: 'boolean', bool: 'boolean',
  date: 'date',
  timestamp: 'timestamp',
};

const KNOWN = 'string, long, integer, double (or number), boolean, date, timestamp';

function typeOf(name: string, raw: unknown, where: string): DeclaredType {
  if (typeof raw !== 'string' || !Object.hasOwn(ALIASES, raw.trim().toLowerCase())) {
    throw new UsageError(`${where}: column '${name}' has unknown type ${JSON.stringify(raw)}`, { hint: `use one of ${KNOWN}` });
  }
  return ALIASES[raw.trim().toLowerCase()]!;
}

/**
 * The declared types of `--columns` and `--schema` (an absolute path, or relative to the process's directory), or
 * undefined when neither is given. A column in both must have the same type.
 *
 * @example
 *   declaredColumnTypes({ columns: 'id:string,amount:double' }) // Map { 'id' => 'string', 'amount' => 'double' }
 */
export function declaredColumnTypes(flags: { columns?: unknown; schema?: unknown }, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): Map<string, DeclaredType> | undefined {
  if (flags.columns === undefined && flags.schema === undefined) return undefined;
  const out = new Map<string, DeclaredType>();
  const add = (name: string, type: DeclaredType, where: string) => {
    const before = out.get(name);
    if (before !== undefined && before !== type) throw new UsageError(`${where}: column '${name}' is declared ${before} and ${type}`, { hint: 'declare each column once' });
    out.set(name, type);
  };
  if (flags.schema !== undefined) {
    if (typeof flags.schema !== 'string' || flags.schema === '') throw new UsageError('--schema needs a file (JSON or YAML mapping column → type)');
    const path = flags.schema;
    let text: string;
    try {
      text = readFile(path);
    } catch (e) {
      throw new UsageError(`cannot read --schema ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
    } catch (e) {
      throw new UsageError(`--schema ${path}: not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (doc !== null && typeof doc === 'object' && !Array.isArray(doc) && Object.keys(doc).length === 1 && 'columns' in doc) doc = (doc as { columns: unknown }).columns;
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      throw new UsageError(`--schema ${path}: expected a mapping of column → type, e.g. { "id": "string", "amount": "double" }`);
    }
    for (const [name, type] of Object.entries(doc as Record<string, unknown>)) add(name, typeOf(name, type, `--schema ${path}`), `--schema ${path}`);
  }
  if (flags.columns !== undefined) {
    if (typeof flags.columns !== 'string' || flags.columns.trim() === '') throw new UsageError('--columns needs name:type pairs, e.g. --columns id:string,amount:double');
    for (const pair of flags.columns.split(',')) {
      const at = pair.lastIndexOf(':');
      const name = at === -1 ? '' : pair.slice(0, at).trim();
      if (name === '') throw new UsageError(`--columns: '${pair}' is not name:type`, { hint: 'e.g. --columns id:string,amount:double' });
      add(name, typeOf(name, pair.slice(at + 1), '--columns'), '--columns');
    }
  }
  return out;
}

/** Declared types as quality's cell kinds (integers and doubles are numbers; dates and timestamps stay text). */
export function asCellKinds(types: ReadonlyMap<string, DeclaredType>): Record<string, 'number' | 'boolean' | 'string'> {
  const out: Record<string, 'number' | 'boolean' | 'string'> = {};
  for (const [name, t] of types) out[name] = t === 'long' || t === 'integer' || t === 'double' ? 'number' : t === 'boolean' ? 'boolean' : 'string';
  return out;
}

/**
 * `--invalid-utf8 error|replace` of the commands that read CSV/JSONL input: 'error' (the default) routes a line that
 * is not UTF-8 to the unreadable records; 'replace' reads its invalid bytes as U+FFFD (the data changes, by request).
 */
export function invalidUtf8Flag(value: unknown): 'error' | 'replace' | undefined {
  if (value === undefined) return undefined;
  if (value === 'error' || value === 'replace') return value;
  throw new UsageError(`--invalid-utf8 must be error or replace, got ${JSON.stringify(value)}`, { hint: "'replace' reads invalid bytes as U+FFFD; 'error' (default) reports such lines as unreadable records" });
}
