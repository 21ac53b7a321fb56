/**
 * A job's record as the server keeps it (DIR/jobs/<id>/job.json, replaced atomically on every change) and the
 * loading of every record when the server starts: a job that was pending, running or draining when the previous
 * server stopped is marked failed ("lost"), since nothing watches its process any more.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobProgress } from '../observe/index.ts';
import { writeFileAtomic } from './server-dir.ts';

export const JOB_STATES = ['pending', 'running', 'draining', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const ACTIVE_JOB_STATES: readonly JobState[] = ['pending', 'running', 'draining'];

export type ParamValue = string | number | boolean;

export interface JobCounts {
  readonly elementsRead: number;
  readonly elementsProcessed: number;
  readonly deadLetters: number;
}

export interface JobRecord {
  readonly id: string;
  /** The pipeline module, relative to the server's project directory. */
  readonly pipeline: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Its namespace ('default' unless given): tokens may be limited to namespaces. */
  readonly namespace: string;
  state: JobState;
  /** The id of the token that submitted it. */
  readonly submittedBy: string | null;
  readonly createdAt: string;
  /** When its parameters were checked and the run began. */
  startedAt: string | null;
  endedAt: string | null;
  pid: number | null;
  exitCode: number | null;
  signal: string | null;
  /** Why it failed or was cancelled, in a line. */
  reason: string | null;
  cancelRequestedAt: string | null;
  drainRequestedAt: string | null;
  /** Elements read and emitted and records rejected: live while it runs, final after. */
  counts: JobCounts | null;
}

export function countsOf(p: JobProgress): JobCounts {
  return { elementsRead: p.elementsRead, elementsProcessed: p.elementsProcessed, deadLetters: p.deadLetters };
}

export function jobDir(jobsDir: string, id: string): string {
  return join(jobsDir, id);
}

export function saveJob(jobsDir: string, job: JobRecord): void {
  writeFileAtomic(join(jobDir(jobsDir, job.id), 'job.json'), `${JSON.stringify(job, null, 2)}\n`);
}

/** Every job under `jobsDir`, the interrupted ones marked failed (and saved so). */
export function loadJobs(jobsDir: string, now = new Date()): JobRecord[] {
  if (!existsSync(jobsDir)) return [];
  const jobs: JobRecord[] = [];
  for (const entry of readdirSync(jobsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const file = join(jobsDir, entry.name, 'job.json');
    if (!existsSync(file)) continue;
    let job: JobRecord;
    try {
      job = JSON.parse(readFileSync(file, 'utf8')) as JobRecord;
    } catch {
      continue; // replaced atomically, so only a file damaged by other means; it is left as is
    }
    if (typeof job.namespace !== 'string') (job as { namespace: string }).namespace = 'default'; // records from before namespaces
    if (ACTIVE_JOB_STATES.includes(job.state)) {
      job.reason = `lost: the server stopped while the job was ${job.state}${job.pid !== null ? ` (process ${job.pid} is no longer watched)` : ''}`;
      job.state = 'failed';
      job.endedAt = now.toISOString();
      saveJob(jobsDir, job);
    }
    jobs.push(job);
  }
  return jobs.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}
