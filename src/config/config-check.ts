/**
 * Validating configuration against zod schemas, with messages a person can act on: each issue names the file, the
 * line, the key path and what is expected; unknown keys (schemas use strict objects) and mistyped enum values get a
 * "did you mean". A `ConfigCheck` collects issues from the schema and from later semantic checks (min > max, a
 * regex that does not compile) so that one run reports every mistake of the file, then `finish()` throws them.
 *
 * @example
 *   const check = new ConfigCheck(readConfigFile('suite.yaml'));
 *   const suite = check.validate(suiteSchema);
 *   if (suite) suite.expectations.forEach((e, i) => check.attempt(['expectations', i], () => compile(e)));
 *   check.finish();
 */
import { z } from 'zod';
import { RiffleError } from '../model/index.ts';
import { ConfigFileError, type ConfigIssue } from './config-error.ts';
import { configFromValue, readConfigFile, type ConfigDocument, type ConfigPath } from './config-file.ts';
import { didYouMean } from '../model/index.ts';

type Issue = z.core.$ZodIssue;
const ALLOWED = '\u0000allowed:';

/** The parse-time error map: remembers the allowed keys of an object that met unknown ones. */
const errorMap = (iss: z.core.$ZodRawIssue): string | undefined => {
  if (iss.code === 'unrecognized_keys') {
    const def = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def;
    const shape = def?.shape ?? (iss as { schema?: { def?: { shape?: Record<string, unknown> } } }).schema?.def?.shape;
    return `${ALLOWED}${JSON.stringify(shape ? Object.keys(shape) : [])}`;
  }
  return undefined;
};

const describe = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}`;
  return `${typeof v} ${String(v)}`;
};

const EXPECTED: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', boolean: 'true or false', int: 'an integer', never: 'nothing' };

/** How bad a union branch's failure is: the branch with the least bad failure is the one the user meant. */
function badness(issues: readonly Issue[], depth: number): number {
  let score = 0;
  for (const i of issues) {
    if (i.code === 'invalid_type' && i.path.length <= depth) score += 1000;
    else if (i.code === 'invalid_value' && i.path.length <= depth + 1) score += 50;
    else if (i.code === 'unrecognized_keys') score += 10 * i.keys.length;
    else score += 10;
  }
  return score;
}

/** A checker of one configuration document: validates, collects issues, throws them all at the end. */
export class ConfigCheck {
  readonly doc: ConfigDocument;
  readonly issues: ConfigIssue[] = [];
  constructor(doc: ConfigDocument) {
    this.doc = doc;
  }

  /** Reports a problem at a key path (`key: true` points at the key rather than its value). */
  report(path: ConfigPath, message: string, options: { key?: boolean } = {}): void {
    const pos = this.doc.position(path, options);
    this.issues.push({ file: this.doc.file, path: [...path], message, ...(pos ? { line: pos.line, column: pos.column } : {}) });
  }

  /**
   * Validates the value at `at` (the whole document by default) against a schema; reports each issue and returns
   * the parsed value, or undefined when it does not validate.
   */
  validate<S extends z.ZodType>(schema: S, value: unknown = this.valueAt([]), at: ConfigPath = []): z.output<S> | undefined {
    const result = schema.safeParse(value, { error: errorMap, reportInput: true });
    if (result.success) return result.data;
    for (const issue of result.error.issues) this.add(issue, at);
    return undefined;
  }

  /** Runs a semantic check; a RiffleError it throws becomes an issue at `path` (other errors are bugs and propagate). */
  attempt<T>(path: ConfigPath, f: () => T): T | undefined {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof RiffleError)) throw e;
      if (e instanceof ConfigFileError) {
        // Issues of another file (a suite a checkpoint names) keep their own file and line.
        for (const i of e.issues) {
          if (i.file === this.doc.file) this.report([...path, ...i.path], i.message);
          else this.issues.push(i);
        }
        return undefined;
      }
      this.report(path, e.hint ? `${e.message.split('\n  hint: ')[0]} (${e.hint})` : e.message);
      return undefined;
    }
  }

  /** The value at a key path of the document. */
  valueAt(path: ConfigPath): unknown {
    let v: unknown = this.doc.data;
    for (const step of path) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[step] : undefined;
    return v;
  }

  get ok(): boolean {
    return this.issues.length === 0;
  }

  /** Throws a ConfigFileError with every issue, if any. */
  finish(opts: { hint?: string } = {}): void {
    if (this.issues.length === 0) return;
    // This file's issues first, in line order; then those of the files it names (a checkpoint's suites), each in order.
    const files = [this.doc.file, ...new Set(this.issues.map((i) => i.file).filter((f) => f !== this.doc.file))];
    const ordered = this.issues
      .map((issue, i) => ({ issue, i, f: files.indexOf(issue.file) }))
      .sort((a, b) => a.f - b.f || (a.issue.line ?? 0) - (b.issue.line ?? 0) || (a.issue.column ?? 0) - (b.issue.column ?? 0) || a.i - b.i);
    throw new ConfigFileError(ordered.map((x) => x.issue), opts);
  }

  private add(issue: Issue, at: ConfigPath): void {
    const path = [...at, ...(issue.path as Array<string | number>)];
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed: string[] = issue.message.startsWith(ALLOWED) ? JSON.parse(issue.message.slice(ALLOWED.length)) : [];
        for (const key of issue.keys) {
          const hint = didYouMean(key, allowed);
          this.report([...path, key], `unknown key \`${key}\`${hint || (allowed.length > 0 && allowed.length <= 12 ? ` (allowed: ${allowed.join(', ')})` : '')}`, { key: true });
        }
        return;
      }
      case 'invalid_type': {
        const input = (issue as { input?: unknown }).input;
        if (input === undefined) this.report(path.slice(0, -1), `missing required key \`${String(path.at(-1))}\` (${EXPECTED[issue.expected] ?? issue.expected})`);
        else this.report(path, `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describe(input)}`);
        return;
      }
      case 'invalid_value': {
        const input = (issue as { input?: unknown }).input;
        const options = issue.values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
        this.report(path, `expected ${options.length === 1 ? options[0] : `one of ${options.join(', ')}`}, got ${describe(input)}${typeof input === 'string' ? didYouMean(input, options) : ''}`);
        return;
      }
      case 'invalid_union': {
        if (issue.errors.length === 0) {
          this.report(path, issue.message);
          return;
        }
        let best = issue.errors[0]!;
        let bestScore = Infinity;
        for (const branch of issue.errors) {
          const s = badness(branch, issue.path.length);
          if (s < bestScore) [best, bestScore] = [branch, s];
        }
        for (const i of best) this.add(i, path);
        return;
      }
      case 'too_small':
      case 'too_big': {
        const input = (issue as { input?: unknown }).input;
        const which = issue.code === 'too_small' ? (issue.inclusive === false ? 'greater than' : 'at least') : issue.inclusive === false ? 'less than' : 'at most';
        const subject = issue.origin === 'array' ? 'items' : issue.origin === 'string' ? 'characters' : '';
        const got = Array.isArray(input) ? `${input.length} items` : typeof input === 'string' ? `${input.length} characters` : describe(input);
        this.report(path, `expected ${which} ${String(issue.code === 'too_small' ? issue.minimum : issue.maximum)}${subject ? ` ${subject}` : ''}, got ${got}`);
        return;
      }
      default:
        this.report(path, issue.message);
    }
  }
}

/**
 * Reads a configuration file and validates it against a schema; throws a ConfigFileError naming every mistake.
 * @example const params = loadConfig('dag.params.yaml', z.strictObject({ threshold: z.number() }));
 */
export function loadConfig<S extends z.ZodType>(file: string, schema: S): z.output<S> {
  return checkConfig(readConfigFile(file), schema);
}

/** Validates a document (or an in-memory value, named `name`) against a schema; throws every mistake at once. */
export function checkConfig<S extends z.ZodType>(doc: ConfigDocument | unknown, schema: S, name = 'configuration'): z.output<S> {
  const d = isDocument(doc) ? doc : configFromValue(doc, name);
  const check = new ConfigCheck(d);
  const value = check.validate(schema);
  check.finish();
  return value as z.output<S>;
}

function isDocument(v: unknown): v is ConfigDocument {
  return typeof v === 'object' && v !== null && 'position' in v && 'data' in v && 'file' in v && typeof (v as ConfigDocument).position === 'function';
}
