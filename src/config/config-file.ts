/**
 * Configuration files as documents: the parsed value plus a map from a key path to its line and column, so that
 * every later check (a schema, a semantic rule) can say where in the file the mistake is. YAML and JSON share one
 * reader: JSON's value comes from `JSON.parse` (its exact semantics), its positions from the YAML parser (JSON is
 * YAML's flow style).
 */
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigFileError } from './config-error.ts';

/** A key path into a configuration value: object keys and list indexes. */
export type ConfigPath = ReadonlyArray<string | number>;

/** A 1-based position in a file. */
export interface ConfigPosition {
  readonly line: number;
  readonly column: number;
}

/** A parsed configuration file (or an in-memory value: then `file` names it and there are no positions). */
export interface ConfigDocument {
  readonly file: string;
  readonly format: 'yaml' | 'json' | 'value';
  readonly data: unknown;
  /**
   * Where the value at `path` starts (with `key: true`, where its key starts); when the path does not exist (a
   * missing key), the position of the deepest enclosing value that does.
   */
  position(path: ConfigPath, options?: { key?: boolean }): ConfigPosition | undefined;
}

/** Whether a file is read as JSON (by extension); everything else is YAML. */
export function configFormatOf(file: string): 'yaml' | 'json' {
  return /\.json$/i.test(file) ? 'json' : 'yaml';
}

/**
 * Reads a YAML or JSON configuration file. An unreadable file or a syntax error is a ConfigFileError naming the file
 * (and the line, for syntax errors).
 * @example const doc = readConfigFile('quality/orders.checkpoint.yaml'); doc.position(['validations', 0]);
 */
export function readConfigFile(file: string, format: 'yaml' | 'json' = configFormatOf(file)): ConfigDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new ConfigFileError([{ file, path: [], message: `cannot read: ${why}` }]);
  }
  return parseConfigText(text, file, format);
}

/** Parses configuration text (see readConfigFile). */
export function parseConfigText(text: string, file: string, format: 'yaml' | 'json' = configFormatOf(file)): ConfigDocument {
  const lines = new LineCounter();
  const doc = parseDocument(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  let data: unknown;
  if (format === 'json') {
    try {
      data = JSON.parse(text);
    } catch (e) {
      const message = (e as Error).message;
      const at = /at position (\d+)/.exec(message);
      const pos = at ? lines.linePos(Number(at[1])) : undefined;
      throw new ConfigFileError([{ file, path: [], message: `not valid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}`, ...(pos ? { line: pos.line, column: pos.col } : {}) }]);
    }
  } else {
    if (doc.errors.length > 0) {
      throw new ConfigFileError(doc.errors.map((err) => {
        const pos = err.linePos?.[0] ?? lines.linePos(err.pos[0]);
        return { file, path: [], message: `not valid YAML: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, ...(pos ? { line: pos.line, column: pos.col } : {}) };
      }));
    }
    data = doc.toJS({ maxAliasCount: 1000 });
  }
  const usable = doc.errors.length === 0;
  return {
    file,
    format,
    data,
    position: (path, options = {}) => (usable ? positionOf(doc, lines, path, options.key === true) : undefined),
  };
}

/** An in-memory value as a document without positions (messages then name the value and the key path). */
export function configFromValue(data: unknown, name: string): ConfigDocument {
  return { file: name, format: 'value', data, position: () => undefined };
}

function positionOf(doc: Document, lines: LineCounter, path: ConfigPath, wantKey: boolean): ConfigPosition | undefined {
  let node: unknown = doc.contents;
  let keyNode: unknown;
  for (const step of path) {
    keyNode = undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? String(p.key.value) === String(step) : String(p.key) === String(step)));
      if (pair === undefined) break;
      keyNode = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof step === 'number' && step < node.items.length) {
      node = node.items[step];
    } else break;
    if (node === null || node === undefined) {
      node = keyNode;
      break;
    }
  }
  const target = (wantKey && keyNode !== undefined ? keyNode : node) as { range?: [number, number, number] } | null | undefined;
  const offset = target?.range?.[0];
  if (offset === undefined) return undefined;
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}
