/**
 * The temp directory an operator spills into: a fresh directory (mode 0700, created by mkdtemp so nothing can be
 * planted in it beforehand) whose files are created exclusively and opened without following links
 * (model/safe-files). `close()` removes it with everything in it; directories still open when the process exits are
 * removed then too, so a failed job leaves no spill files behind.
 * @example
 *   const dir = SpillDirectory.create();           // under os.tmpdir(), or SpillDirectory.create('/mnt/scratch')
 *   const { path, fd } = dir.newFile('run');
 *   ...
 *   dir.close();
 */
import { closeSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openNoFollow, RiffleError, safeStoreDir } from '../../model/index.ts';

const open = new Set<SpillDirectory>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const d of [...open]) d.close();
  });
}

export class SpillDirectory {
  private seq = 0;
  private closed = false;

  private constructor(readonly path: string) {}

  /** Creates a fresh spill directory under `parent` (default: the OS temp directory). */
  static create(parent?: string): SpillDirectory {
    const base = parent ?? tmpdir();
    if (parent !== undefined) safeStoreDir(parent, 'spill directory');
    let path: string;
    try {
      path = mkdtempSync(join(base, 'riffle-spill-'));
    } catch (e) {
      throw new RiffleError('SPILL_DIR_UNUSABLE', `cannot create a spill directory under ${base}: ${(e as Error).message}`, {
        domain: 'external',
        cause: e,
        hint: 'point the spill directory at a writable local disk with free space (TMPDIR, or the spill directory option)',
      });
    }
    const d = new SpillDirectory(path);
    open.add(d);
    installExitHook();
    return d;
  }

  /** Creates a new file (exclusively, never through a link) and returns its path and a read-write descriptor. */
  newFile(prefix: string): { path: string; fd: number } {
    if (this.closed) throw new RiffleError('SPILL_DIR_CLOSED', `the spill directory ${this.path} is closed`, { domain: 'internal' });
    const path = join(this.path, `${prefix}-${String(this.seq++).padStart(6, '0')}.run`);
    const fd = openNoFollow(path, 'wx');
    closeSync(fd);
    return { path, fd: openNoFollow(path, 'r+') };
  }

  /** Removes one file (a run merged away). */
  remove(path: string): void {
    rmSync(path, { force: true });
  }

  /** Removes the directory and everything in it. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    open.delete(this);
    rmSync(this.path, { recursive: true, force: true });
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
