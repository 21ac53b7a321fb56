/**
 * File patterns in object stores: `s3://bucket/raw/*.csv`, `az://c/logs/**\/*.gz`, an object's URL, or a "directory"
 * URL (its objects one level down). Expanded by listing the store under the pattern's literal prefix, with the same
 * rules as local globs (glob.ts): hidden names (a segment starting with '.', such as writers' `.riffle-tmp-*`) never
 * match, and a directory's `_SUCCESS` manifest shows only committed files. Keys that could not name a file inside
 * the root (an empty, '.' or '..' segment) are never read.
 */
import { RiffleError } from '../../model/index.ts';
import { openObjectStore, type ObjectStore } from '../../object-store/index.ts';
import { COMMIT_MARKER, committedView, parseCommitManifest, type CommitManifest } from './commit-manifest.ts';

/** A commit changed a manifest while it was read this many times in a row: give up. */
const MAX_RETRIES = 20;

/** Whether a pattern segment has glob syntax. */
function isDynamic(segment: string): boolean {
  return /[*?[\]{}]/.test(segment);
}

/**
 * A glob (relative, `/`-separated) as a regular expression over keys: `*` and `?` within a segment, `**` for any
 * number of segments, `[abc]`/`[!abc]` classes, `{a,b}` alternatives.
 *
 * @example
 *   globToRegExp('2024-*\/**\/*.csv').test('2024-01/x/y/a.csv'); // true
 */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const whole = (i === 0 || glob[i - 1] === '/') && (i + 2 === glob.length || glob[i + 2] === '/');
        if (whole) {
          if (glob[i + 2] === '/') {
            out += '(?:[^/]*/)*';
            i += 2;
          } else {
            out += '.*';
            i += 1;
          }
          continue;
        }
        i++;
      }
      out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      out += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else out += c.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Whether a key (relative to the listing's base) can be read: no hidden, empty, '.' or '..' segment, no trailing '/'. */
function readableKey(relative: string): boolean {
  return relative !== '' && relative.split('/').every((s) => s !== '' && !s.startsWith('.'));
}

function dirOf(key: string): string {
  const at = key.lastIndexOf('/');
  return at === -1 ? '' : key.slice(0, at);
}

function under(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/**
 * Expands one object-store pattern into `[name, where to read it]` URL pairs (a committed file still pending in a
 * writer's temp dir is read there). Empty when nothing matches.
 */
export async function expandObjectPattern(pattern: string): Promise<Array<[string, string]>> {
  const m = /^([a-z0-9]+:\/\/[^/]+)(?:\/(.*))?$/i.exec(pattern);
  if (!m) return [];
  const root = m[1]!;
  const path = (m[2] ?? '').replace(/\/+$/, '');
  const store = openObjectStore(root);
  return matchObjects(store, root, path);
}

/**
 * The objects of `store` (rooted at `root`) that `path` names: itself when it is an object, the objects one level
 * below it when it is a prefix, or the glob's matches. Exported for tests with an in-memory store.
 */
export async function matchObjects(store: ObjectStore, root: string, path: string): Promise<Array<[string, string]>> {
  const segments = path === '' ? [] : path.split('/');
  const g = segments.findIndex(isDynamic);
  let base: string;
  let matches: (relative: string) => boolean;
  const asDirectory = g === -1;
  if (asDirectory) {
    if (path !== '' && readableKey(path) && (await store.head(path)) !== undefined) return [[`${root}/${path}`, `${root}/${path}`]];
    base = path;
    matches = (relative) => !relative.includes('/');
  } else {
    base = segments.slice(0, g).join('/');
    const re = globToRegExp(segments.slice(g).join('/'));
    matches = (relative) => re.test(relative);
  }
  const prefix = base === '' ? '' : `${base}/`;
  const list = async (): Promise<{ all: Set<string>; byDir: Map<string, string[]> }> => {
    const all = new Set<string>();
    const byDir = new Map<string, string[]>();
    for (const o of await store.list(prefix)) {
      all.add(o.key);
      const relative = o.key.slice(prefix.length);
      if (!readableKey(relative) || !matches(relative)) continue;
      const dir = dirOf(o.key);
      let names = byDir.get(dir);
      if (!names) byDir.set(dir, (names = []));
      names.push(o.key.slice(dir === '' ? 0 : dir.length + 1));
    }
    return { all, byDir };
  };
  const manifestOf = async (dir: string): Promise<{ text: string | undefined; manifest: CommitManifest | undefined }> => {
    const bytes = await store.get(under(dir, COMMIT_MARKER));
    if (bytes === undefined) return { text: undefined, manifest: undefined };
    const text = new TextDecoder().decode(bytes);
    return { text, manifest: parseCommitManifest(text, `${root}/${under(dir, COMMIT_MARKER)}`) };
  };
  // As locally: a listing is consistent when each directory's manifest is the same before and after it.
  let dirs = [...(await list()).byDir.keys()];
  for (let attempt = 0; ; attempt++) {
    const before = new Map(await Promise.all(dirs.map(async (d) => [d, await manifestOf(d)] as const)));
    const { all, byDir } = await list();
    const files: Array<[string, string]> = [];
    let stable = true;
    for (const [dir, names] of byDir) {
      const manifest = before.get(dir);
      if (manifest === undefined || (await manifestOf(dir)).text !== manifest.text) {
        stable = false;
        break;
      }
      const view = committedView(manifest.manifest, names, (rel) => all.has(under(dir, rel)));
      if (asDirectory && view.missing.length > 0) {
        throw new RiffleError('FILE_SET_INCOMPLETE', `${root}/${dir}: ${view.missing.length} committed file(s) are missing (${view.missing.slice(0, 3).join(', ')}${view.missing.length > 3 ? ', …' : ''})`, {
          domain: 'external',
          context: { dir: `${root}/${dir}`, missing: view.missing.slice(0, 10) },
          hint: `the output was changed after its commit: rerun the job that writes it, or delete ${root}/${under(dir, COMMIT_MARKER)} to read the objects that are there`,
        });
      }
      for (const n of view.visible) files.push([`${root}/${under(dir, n.slice(n.lastIndexOf('/') + 1))}`, `${root}/${under(dir, n)}`]);
    }
    if (stable) return files;
    dirs = [...byDir.keys()];
    if (attempt >= MAX_RETRIES) {
      throw new RiffleError('FILE_SET_CHANGING', `the objects of '${root}/${path}' kept changing while they were listed (a job commits to them repeatedly)`, {
        domain: 'external',
        hint: 'read them when the writing job has ended',
      });
    }
  }
}
