import { existsSync, mkdirSync, renameSync, rmdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { RiffleError } from '../../model/index.ts';
import { fsyncDir } from './file-commit.ts';

/*
 * The prepared dir of a file sink's directory, `<dir>/.riffle-prepared/`: temp files that a checkpoint prepared
 * (issue 14, two-phase commit) wait here for their commit. Unlike a run's temp dir (`.riffle-tmp-<run>`, removed by
 * the next run once its process is dead), it survives the run that wrote it, so that a run resumed from the checkpoint
 * finds them. Hidden: globs and Riffle's readers skip it; files never appear under final names from here except
 * through a commit. Temp files have unique (random) names, so the dir is shared by every sink of the directory.
 */

export const PREPARED_DIR = '.riffle-prepared';

/**
 * Moves complete, fsynced temp files into the prepared dir and fsyncs both dirs; returns the names they have there.
 * Idempotent: a file already moved is fine.
 *
 * @example
 *   const names = await prepareFiles('out', ['out/.riffle-tmp-r1/3f1c….jsonl.tmp']);
 */
export async function prepareFiles(dir: string, tempPaths: readonly string[]): Promise<string[]> {
  if (tempPaths.length === 0) return [];
  const prepared = join(dir, PREPARED_DIR);
  mkdirSync(prepared, { recursive: true });
  const froms = new Set<string>();
  const names: string[] = [];
  for (const from of tempPaths) {
    const to = join(prepared, basename(from));
    names.push(basename(from));
    if (existsSync(to) && !existsSync(from)) continue;
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
  fsyncDir(prepared);
  for (const f of froms) fsyncDir(f);
  return names;
}

/** A temp file's path, or the prepared dir's copy when a checkpoint moved it there. */
export function preparedOr(dir: string, tempPath: string): string {
  if (existsSync(tempPath)) return tempPath;
  const prepared = join(dir, PREPARED_DIR, basename(tempPath));
  return existsSync(prepared) ? prepared : tempPath;
}

/** Removes the prepared dir once nothing waits in it (after a job's final commit). */
export function removePreparedDirIfEmpty(dir: string): void {
  try {
    rmdirSync(join(dir, PREPARED_DIR));
  } catch {
    // missing, or files of another checkpointed run still wait there
  }
}
