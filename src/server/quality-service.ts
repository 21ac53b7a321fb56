/**
 * Quality results for the API: the validation results store (`--quality-store DIR`, default `quality/results` in
 * the project when it exists; laid out as Great Expectations' validations store, src/quality/results-store.ts) and
 * the data docs site (`--data-docs DIR`, default `quality/docs`): suites, a suite's results (newest first), one
 * result in full, the latest score of each suite (for alerts), the site's index and its pages. The quality folder
 * is imported when first used. Paths from requests are checked to stay inside their root.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { ApiError } from './api-error.ts';

export interface QualityServiceOptions {
  readonly store: string | undefined;
  readonly docs: string | undefined;
}

const quality = () => import('../quality/index.ts');

export class QualityService {
  constructor(private readonly o: QualityServiceOptions) {}

  get configured(): { store: string | null; docs: string | null } {
    return { store: this.o.store ?? null, docs: this.o.docs ?? null };
  }

  private storeDir(): string {
    const dir = this.o.store;
    if (dir === undefined || !existsSync(dir)) throw new ApiError(404, 'NO_QUALITY_STORE', 'this server has no quality results store', 'start it with --quality-store DIR (a checkpoint store_validation_result action writes there)');
    return dir;
  }

  async suites(): Promise<Array<{ suite: string; results: number; latest: { runTime: string; success: boolean; successPercent: number | null } | null }>> {
    const q = await quality();
    const store = this.storeDir();
    return q.listSuites(store).map((dir) => {
      const results = q.listResults(store, dir);
      const latest = results[0];
      return { suite: latest?.suite ?? dir, results: results.length, latest: latest === undefined ? null : { runTime: latest.run_time, success: latest.success, successPercent: latest.statistics.success_percent } };
    });
  }

  async results(suite: string, o: { asset?: string; limit?: number }) {
    const q = await quality();
    const store = this.storeDir();
    if (!q.listSuites(store).includes(q.safeName(suite))) throw new ApiError(404, 'SUITE_NOT_FOUND', `no results of suite '${suite}'`, 'GET /api/quality/suites lists them');
    return q.listResults(store, suite, { ...(o.asset !== undefined ? { asset: o.asset } : {}), ...(o.limit !== undefined ? { limit: o.limit } : {}) }).map((r) => ({
      suite: r.suite, runName: r.run_name, runTime: r.run_time, asset: r.asset, success: r.success, statistics: r.statistics, rowCount: r.row_count, path: r.path.split(sep).join('/'),
    }));
  }

  /** One stored result in full (GE's validation result JSON). */
  async result(path: string): Promise<Record<string, unknown>> {
    const q = await quality();
    const store = this.storeDir();
    const file = inside(store, path, 'path');
    if (!file.endsWith('.json') || !statSync(file, { throwIfNoEntry: false })?.isFile()) throw new ApiError(404, 'RESULT_NOT_FOUND', `no stored result '${path}'`, 'GET /api/quality/suites/{suite}/results lists their paths');
    return q.readStoredResult(store, relative(store, file)) as unknown as Record<string, unknown>;
  }

  /** Each suite's latest success percent (for quality_score_below alerts); none without a store. */
  async latestScores(): Promise<Array<{ suite: string; scorePercent: number; at: number }>> {
    if (this.o.store === undefined || !existsSync(this.o.store)) return [];
    return (await this.suites()).flatMap((s) => (s.latest === null || s.latest.successPercent === null ? [] : [{ suite: s.suite, scorePercent: s.latest.successPercent, at: Date.parse(s.latest.runTime) }]));
  }

  async docsIndex() {
    const q = await quality();
    const site = this.docsDir();
    return q.dataDocsEntries(site).map((e) => ({ suite: e.suite, runName: e.run_name, runTime: e.run_time, asset: e.asset, checkpoint: e.checkpoint ?? null, success: e.success, statistics: e.statistics, rowCount: e.row_count, page: e.page }));
  }

  /** A page of the site (HTML or Markdown), by its path in the index. */
  docsPage(path: string): { text: string; type: string } {
    const file = inside(this.docsDir(), path, 'page');
    if (!/\.(html|md)$/.test(file) || !statSync(file, { throwIfNoEntry: false })?.isFile()) throw new ApiError(404, 'PAGE_NOT_FOUND', `no data docs page '${path}'`, 'GET /api/quality/docs lists the pages');
    return { text: readFileSync(file, 'utf8'), type: file.endsWith('.html') ? 'text/html; charset=utf-8' : 'text/markdown; charset=utf-8' };
  }

  private docsDir(): string {
    const dir = this.o.docs;
    if (dir === undefined || !existsSync(dir)) throw new ApiError(404, 'NO_DATA_DOCS', 'this server has no data docs site', 'start it with --data-docs DIR (a checkpoint update_data_docs action writes there)');
    return dir;
  }
}

/** `path` (relative, from a request) resolved inside `root`, symbolic links followed; a 400 if it leads out. */
export function inside(root: string, path: string, key: string): string {
  const base = realpathSync(root);
  const full = resolve(base, path);
  let real = full;
  try {
    real = realpathSync(full);
  } catch {
    // not there: checked by the caller (404); the lexical check below still applies
  }
  for (const p of [full, real]) {
    const rel = relative(base, p);
    if (rel === '' || rel.startsWith('..') || resolve(base, rel) !== p) throw new ApiError(400, 'PATH_OUTSIDE', `'${path}' leads outside its folder`, 'give a path as the listing shows it', { key, expected: 'a relative path inside the folder' });
  }
  return real;
}
