/**
 * Data docs: a validation result as one static, self-contained HTML page (no scripts, no external assets), with
 * the statistics, one row per expectation (failures first) and the full result of each in a <details> block.
 */
import { argsText, observedText } from './markdown-report.ts';
import type { ValidationResult } from './result.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Options of `toHtml`: a link shown above the title (data docs pages link back to the site's index). */
export interface HtmlOptions {
  readonly backLink?: { readonly href: string; readonly text: string };
}

export function toHtml(result: ValidationResult, options: HtmlOptions = {}): string {
  const s = result.statistics;
  const ordered = [...result.results].sort((a, b) => Number(a.success) - Number(b.success));
  const rows = ordered
    .map(
      (r) => `<tr class="${r.success ? 'pass' : 'fail'}"><td>${r.success ? 'pass' : 'FAIL'}</td><td><code>${esc(r.expectation_config.expectation_type)}</code></td><td>${esc(argsText(r))}</td>` +
        `<td>${esc(observedText(r))}${r.approximate ? ' <em>(approximate)</em>' : ''}<details><summary>result</summary><pre>${esc(JSON.stringify(r.result, null, 2))}</pre></details></td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(result.meta.expectation_suite_name)} — validation</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}tr.fail td:first-child{color:#b00;font-weight:bold}
tr.pass td:first-child{color:#070}.badge{padding:.2rem .6rem;border-radius:.3rem;color:#fff;background:${result.success ? '#070' : '#b00'}}pre{font-size:.8rem}
</style></head><body>
${options.backLink ? `<nav><a href="${esc(options.backLink.href)}">${esc(options.backLink.text)}</a></nav>\n` : ''}<h1>${esc(result.meta.expectation_suite_name)} <span class="badge">${result.success ? 'passed' : 'failed'}</span></h1>
<p>${s.successful_expectations} of ${s.evaluated_expectations} expectations passed over ${result.meta.row_count} rows${result.meta.approximate ? '; some metrics are approximate' : ''}. Validated ${esc(result.meta.validation_time)}${result.meta.run_id ? `, run ${esc(String(result.meta.run_id))}` : ''}.</p>
<table><thead><tr><th>status</th><th>expectation</th><th>arguments</th><th>observed</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>
`;
}
