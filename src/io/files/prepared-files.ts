import { existsSync, mkdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { RiffleError } from '../../model/index.ts';
import { fsyncDir, type FileSet } from './file-commit.ts';

/*
 * The prepared dir of a file sink, `<dir>/.riffle-prepared/<base>SSSSS<rest>/` (one per file set): temp files that a checkpoint prepared
 * (issue 14, two-phase commit) wait here for their commit. Unlike a run's temp dir (`.riffle-tmp-<run>`, removed by
 * the next run once its process is dead), it survives the run that wrote it, so that a run resumed from the checkpoint
 * finds them. Hidden: globs and Riffle's readers skip it; files never appear under final names from here except
 * through a commit. Once the job published its file set, the set's prepared dir goes (what is left there was prepared
 * by a killed attempt for a checkpoint that never completed).
 */

export const PREPARED_DIR = '.riffle-prepared';

/**
 * Moves complete, fsynced temp files into the prepared dir and fsyncs both dirs; returns the names they have there.
 * Idempotent: a file already moved is fine; a file that is gone (the finalizer published it: a checkpoint after the
 * end of the input) is left out.
 *
 * @example
 *   const names = await prepareFiles('out', ['out/.riffle-tmp-r1/3f1c….jsonl.tmp']);
 */
export function prepareFiles(set: FileSet, tempPaths: readonly string[]): string[] {
  if (tempPaths.length === 0) return [];
  const prepared = preparedDir(set);
  let made = false;
  const froms = new Set<string>();
  const names: string[] = [];
  for (const from of tempPaths) {
    const to = join(prepared, basename(from));
    if (!existsSync(from)) {
      if (existsSync(to)) names.push(basename(from));
      continue;
    }
    names.push(basename(from));
    if (!made) mkdirSync(prepared, { recursive: true });
    made = true;
    try {
      renameSync(from, to);
    } catch (e) {
      throw new RiffleError('FILE_COMMIT_FAILED', `cannot prepare ${from} for a checkpoint: ${(e as Error).message}`, {
        domain: 'external',
        cause: e,
        hint: 'check the output directory; the job can resume from its previous checkpoint',
      });
    }
    froms.add(join(from, '..'));
  }
  if (made) fsyncDir(prepared);
  for (const f of froms) fsyncDir(f);
  return names;
}

/** The prepared dir of a file set. */
export function preparedDir(set: FileSet): string {
  return join(set.dir, PREPARED_DIR, `${set.base}SSSSS${set.rest}`);
}

/** A temp file's path, or the prepared dir's copy when a checkpoint moved it there. */
export function preparedOr(set: FileSet, tempPath: string): string {
  if (existsSync(tempPath)) return tempPath;
  const prepared = join(preparedDir(set), basename(tempPath));
  return existsSync(prepared) ? prepared : tempPath;
}

/** Removes a file set's prepared dir (after the job published the set), and `.riffle-prepared` once empty. */
export function removePreparedDir(set: FileSet): void {
  rmSync(preparedDir(set), { recursive: true, force: true });
  try {
    rmdirSync(join(set.dir, PREPARED_DIR));
  } catch {
    // other sets' files still wait there, or it never existed
  }
}
