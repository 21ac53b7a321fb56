/**
 * A static data docs site, as Great Expectations' local site: one page per validation result (HTML from
 * html-report.ts, plus the Markdown summary beside it) and an index listing every run, newest first, with its status
 * and a link. Self-contained files — open `index.html` from disk or serve the folder.
 *
 * Layout: `<site>/index.html`, `<site>/index.md`, `<site>/validations/<suite>/<run_name>/<run_time>-<asset>.{html,md,json}`
 * (the .json is the page's one-line summary the index is built from). The index is rebuilt from those summaries on
 * every update, so checkpoints writing to the same site never lose each other's entries.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../model/index.ts';
import { dirname, join, sep } from 'node:path';
import { toHtml } from './html-report.ts';
import { toMarkdown } from './markdown-report.ts';
import type { ValidationResult, ValidationStatistics } from './result.ts';
import { resultPath, type RunId } from './results-store.ts';

/** One entry of the site's index. */
export interface DataDocsEntry {
  readonly suite: string;
  readonly run_name: string;
  readonly run_time: string;
  readonly asset: string;
  readonly checkpoint?: string;
  readonly success: boolean;
  readonly statistics: ValidationStatistics;
  readonly row_count: number;
  /** The page, relative to the site (forward slashes). */
  readonly page: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, text, { mode: 0o644 }); // pages are for every reader of the site
}

/**
 * Adds a validation result to the site (its page, Markdown and index entry) and rebuilds the index.
 * @returns the index and the page, absolute.
 */
export function updateDataDocs(site: string, result: ValidationResult, runId: RunId, asset: string, checkpoint?: string): { index: string; page: string; markdown: string } {
  const base = resultPath(result.meta.expectation_suite_name, runId, asset).replace(/\.json$/, '');
  const pageRel = join('validations', `${base}.html`);
  const up = pageRel.split(sep).slice(1).map(() => '..').join('/');
  const entry: DataDocsEntry = {
    suite: result.meta.expectation_suite_name, run_name: runId.run_name, run_time: runId.run_time, asset,
    ...(checkpoint !== undefined ? { checkpoint } : {}),
    success: result.success, statistics: result.statistics, row_count: result.meta.row_count, page: pageRel.split(sep).join('/'),
  };
  writeAtomic(join(site, pageRel), toHtml(result, { backLink: { href: `${up}/index.html`, text: '← all validations' } }));
  writeAtomic(join(site, 'validations', `${base}.md`), toMarkdown(result));
  writeAtomic(join(site, 'validations', `${base}.json`), `${JSON.stringify(entry)}\n`);
  const entries = dataDocsEntries(site);
  writeAtomic(join(site, 'index.html'), indexHtml(entries));
  writeAtomic(join(site, 'index.md'), indexMarkdown(entries));
  return { index: join(site, 'index.html'), page: join(site, pageRel), markdown: join(site, 'validations', `${base}.md`) };
}

/** Every entry of a site, newest first. */
export function dataDocsEntries(site: string): DataDocsEntry[] {
  const root = join(site, 'validations');
  const out: DataDocsEntry[] = [];
  const walk = (dir: string) => {
    let items;
    try {
      items = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const d of items) {
      const p = join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else if (d.name.endsWith('.json')) {
        try {
          out.push(JSON.parse(readFileSync(p, 'utf8')) as DataDocsEntry);
        } catch {
          // A summary being replaced right now: the next update lists it.
        }
      }
    }
  };
  walk(root);
  return out.sort((a, b) => (a.run_time < b.run_time ? 1 : a.run_time > b.run_time ? -1 : a.page < b.page ? 1 : a.page > b.page ? -1 : 0));
}

function indexHtml(entries: readonly DataDocsEntry[]): string {
  const failed = entries.filter((e) => !e.success).length;
  const rows = entries
    .map((e) => `<tr class="${e.success ? 'pass' : 'fail'}"><td>${e.success ? 'pass' : 'FAIL'}</td><td>${esc(e.run_time)}</td><td>${esc(e.run_name)}</td><td>${esc(e.checkpoint ?? '')}</td><td>${esc(e.suite)}</td><td>${esc(e.asset)}</td>` +
      `<td>${e.statistics.successful_expectations}/${e.statistics.evaluated_expectations}</td><td>${e.row_count}</td><td><a href="${esc(e.page)}">result</a> · <a href="${esc(e.page.replace(/\.html$/, '.md'))}">md</a></td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Data docs — validations</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}tr.fail td:first-child{color:#b00;font-weight:bold}tr.pass td:first-child{color:#070}
</style></head><body>
<h1>Data docs</h1>
<p>${entries.length} validation${entries.length === 1 ? '' : 's'}, ${failed} failed. Newest first.</p>
<table><thead><tr><th>status</th><th>run time</th><th>run name</th><th>checkpoint</th><th>suite</th><th>asset</th><th>expectations passed</th><th>rows</th><th></th></tr></thead><tbody>
${rows}
</tbody></table></body></html>
`;
}

function indexMarkdown(entries: readonly DataDocsEntry[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '# Data docs',
    '',
    `${entries.length} validation${entries.length === 1 ? '' : 's'}, ${entries.filter((e) => !e.success).length} failed. Newest first.`,
    '',
    '| status | run time | run name | checkpoint | suite | asset | passed | rows | result |',
    '|---|---|---|---|---|---|---|---|---|',
    ...entries.map((e) => `| ${e.success ? 'pass' : '**FAIL**'} | ${e.run_time} | ${cell(e.run_name)} | ${cell(e.checkpoint ?? '')} | ${cell(e.suite)} | ${cell(e.asset)} | ${e.statistics.successful_expectations}/${e.statistics.evaluated_expectations} | ${e.row_count} | [md](${e.page.replace(/\.html$/, '.md')}) |`),
    '',
  ].join('\n');
}
