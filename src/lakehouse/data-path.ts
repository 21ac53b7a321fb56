/**
 * Turning a path from the Delta log (`add.path`, `remove.path`, `cdc.path`) into a file on the local filesystem —
 * the one place that does it, so that no log can make Riffle read, rewrite or delete a file outside its table.
 *
 * The protocol says these paths are URIs: relative ones (the usual case) are resolved against the table root after
 * URI-decoding each segment; absolute ones (`file:///…`, or a bare `/…` path some writers log) are legal — shallow
 * clones point at another table's files — but a hostile or damaged log can use them, so Riffle refuses them unless
 * the reader opts in (`allowExternalFiles`). A relative path must stay inside the table: `..` segments (also
 * percent-encoded, `..%2F`), empty, `.`, NUL or backslash-bearing segments are refused, and at read time
 * `assertInsideTable` checks that no symbolic link inside the table leads out of it.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { DeltaTableError } from './errors.ts';
import { isObjectStoreUrl } from '../object-store/index.ts';

/**
 * How log paths may resolve.
 *
 * @example
 * const opts: DataPathOptions = { allowExternalFiles: true }; // a shallow clone's files live in another table
 */
export interface DataPathOptions {
  /** Accept absolute URIs (files outside the table root). Default false. */
  readonly allowExternalFiles?: boolean;
}

/**
 * Names Delta writers give the files they put in a table: Riffle's and delta-rs' `part-00000-<uuid>-c000.snappy.parquet`,
 * Spark's `part-00000-<uuid>.c000.snappy.parquet` (any codec, or none), change data `cdc-….parquet`, deletion vectors
 * `deletion_vector_<uuid>.bin`. Vacuum deletes only files with such names.
 *
 * @example
 * DATA_FILE_NAME.test('part-00000-1b2c…-c000.snappy.parquet'); // true
 */
export const DATA_FILE_NAME = /^(?:(?:part|cdc)-\d{5,}[-.][^/]*\.parquet|deletion_vector_[0-9a-fA-F-]+\.bin)$/;

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

function refuse(tableRoot: string, uri: string, reason: string, external: boolean): never {
  throw new DeltaTableError(external ? 'DELTA_EXTERNAL_FILE' : 'DELTA_LOG_CORRUPT',
    `the log of ${tableRoot} points at data file '${uri.slice(0, 300)}', ${reason}`, {
      context: { table: tableRoot, path: uri.slice(0, 300) },
      hint: external
        ? 'Riffle reads only files inside the table unless told otherwise: if this table is a shallow clone you trust, pass allowExternalFiles: true (CLI: --allow-external-files)'
        : 'the log is damaged or hostile; restore the table to a version before this file was added, or remove the table',
    });
}

function decodeSegment(tableRoot: string, uri: string, segment: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return refuse(tableRoot, uri, `which is not a valid URI (bad percent-encoding in '${segment}')`, false);
  }
  if (decoded === '' || decoded === '.' || decoded === '..' || decoded.includes('/') || decoded.includes('\\') || decoded.includes('\0')) {
    return refuse(tableRoot, uri, `which leaves the table directory (segment '${segment}')`, false);
  }
  return decoded;
}

/**
 * The filesystem path of a data file named in the log of the table at `tableRoot`: relative URIs resolve inside the
 * table (or are refused), absolute ones (`file:` URIs, `/…`) only with `allowExternalFiles`. Throws a
 * `DeltaTableError` naming the path (`DELTA_EXTERNAL_FILE` for an absolute URI not allowed, `DELTA_LOG_CORRUPT` for a
 * path that escapes the table or is not a valid URI).
 *
 * @example
 * resolveDataPath('/t', 'd=a%253Ab/part-0.parquet'); // '/t/d=a%3Ab/part-0.parquet'
 * resolveDataPath('/t', '../secret.parquet');          // throws DELTA_LOG_CORRUPT
 * resolveDataPath('/t', 'file:///other/p.parquet', { allowExternalFiles: true }); // '/other/p.parquet'
 */
export function resolveDataPath(tableRoot: string, uri: string, options: DataPathOptions = {}): string {
  if (typeof uri !== 'string' || uri === '') return refuse(tableRoot, String(uri), 'which is empty', false);
  const scheme = SCHEME.exec(uri);
  const remoteRoot = isObjectStoreUrl(tableRoot);
  if (isAbsoluteUri(uri)) {
    if (isObjectStoreUrl(uri) && remoteRoot) {
      // A table in an object store whose log names another table's object (a shallow clone): the location is the
      // URL, segments decoded. (A local table's log naming objects stays refused below: not yet supported.)
      if (!options.allowExternalFiles) return refuse(tableRoot, uri, 'an absolute URI outside the table', true);
      const m = /^([^:]+:\/\/[^/]+)\/(.+)$/.exec(uri);
      if (!m) return refuse(tableRoot, uri, 'which names no object', false);
      return `${m[1]}/${m[2].split('/').map((s) => decodeSegment(tableRoot, uri, s)).join('/')}`;
    }
    if (remoteRoot) return refuse(tableRoot, uri, 'a local file, and the table is in an object store', true);
    if (scheme && scheme[0].toLowerCase() !== 'file:') {
      return refuse(tableRoot, uri, `whose scheme '${scheme[0]}' Riffle cannot read (only local files and s3://, az:// objects)`, true);
    }
    if (!options.allowExternalFiles) return refuse(tableRoot, uri, 'an absolute URI outside the table', true);
    let pathname: string;
    if (scheme) {
      let url: URL;
      try {
        url = new URL(uri);
      } catch {
        return refuse(tableRoot, uri, 'which is not a valid URI', false);
      }
      if (url.host !== '' && url.host !== 'localhost') return refuse(tableRoot, uri, `on another host (${url.host})`, true);
      pathname = url.pathname;
    } else {
      pathname = uri;
    }
    const segments = pathname.split('/').filter((s) => s !== '');
    return sep + segments.map((s) => decodeSegment(tableRoot, uri, s)).join(sep);
  }
  if (remoteRoot) return `${tableRoot.replace(/\/+$/, '')}/${uri.split('/').map((s) => decodeSegment(tableRoot, uri, s)).join('/')}`;
  return join(tableRoot, ...uri.split('/').map((s) => decodeSegment(tableRoot, uri, s)));
}

/**
 * Whether a log path is absolute (a URI with a scheme, or a rooted path): such files live outside the table.
 *
 * @example
 * isAbsoluteUri('file:///x/p.parquet'); // true
 */
export function isAbsoluteUri(uri: string): boolean {
  return SCHEME.test(uri) || uri.startsWith('/') || uri.startsWith('\\') || isAbsolute(uri);
}

const realRoots = new Map<string, Promise<string>>();

/**
 * Checks, before a data file is opened, that its real location (symbolic links followed) is inside the table's real
 * root — so a link planted inside the table cannot lead a reader out. Files the log names by absolute URI (allowed
 * with `allowExternalFiles`) are not checked. A file that does not exist passes (the open reports it).
 *
 * @example
 * await assertInsideTable('/t', '/t/part-0.parquet');
 */
export async function assertInsideTable(tableRoot: string, path: string, logPath: string): Promise<void> {
  if (isObjectStoreUrl(tableRoot)) return; // object stores have no links; the key was built from checked segments
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return;
  }
  let root = realRoots.get(tableRoot);
  if (root === undefined) {
    root = realpath(tableRoot).catch(() => tableRoot);
    realRoots.set(tableRoot, root);
    if (realRoots.size > 256) realRoots.delete(realRoots.keys().next().value as string);
  }
  const base = await root;
  if (real !== base && !real.startsWith(base.endsWith(sep) ? base : base + sep)) {
    refuse(tableRoot, logPath, `which is a symbolic link (or under one) leading outside the table, to ${real}`, false);
  }
}
