/**
 * A validation result as a Markdown summary: a status line, statistics, and one table row per expectation with
 * its observed value (or unexpected counts and examples) — the report the seeds' quality reports print.
 */
import type { ExpectationResult, ValidationResult } from './result.ts';

/** A short text for what an expectation observed: the observed value, or unexpected counts with examples. */
export function observedText(r: ExpectationResult): string {
  if (r.exception_info.raised_exception) return `error: ${r.exception_info.exception_message ?? ''}`;
  const res = r.result;
  if ('observed_value' in res) return clip(JSON.stringify(res.observed_value) ?? 'null');
  if (res.unexpected_count !== undefined) {
    const pct = res.unexpected_percent === null || res.unexpected_percent === undefined ? '' : ` (${round(res.unexpected_percent)}%)`;
    const examples = (res.partial_unexpected_list ?? []).slice(0, 5);
    return `${res.unexpected_count} unexpected of ${res.element_count}${pct}${examples.length > 0 ? `, e.g. ${clip(examples.map((v) => JSON.stringify(v)).join(', '))}` : ''}`;
  }
  return '';
}

/** The expectation's arguments, short. */
export function argsText(r: ExpectationResult): string {
  const entries = Object.entries(r.expectation_config.kwargs).filter(([k, v]) => typeof v !== 'function' && k !== 'result_format');
  return clip(entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', '));
}

const round = (x: number) => Math.round(x * 100) / 100;
const clip = (s: string, n = 100) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function toMarkdown(result: ValidationResult): string {
  const s = result.statistics;
  const lines = [
    `## ${result.success ? '✅' : '❌'} ${result.meta.expectation_suite_name}: ${result.success ? 'passed' : 'failed'}`,
    '',
    `${s.successful_expectations} of ${s.evaluated_expectations} expectations passed (${s.success_percent === null ? '–' : `${round(s.success_percent)}%`}) over ${result.meta.row_count} rows` +
      `${result.meta.approximate ? ' — some metrics are approximate (sketches)' : ''}; validated ${result.meta.validation_time}${result.meta.run_id ? `, run ${result.meta.run_id}` : ''}.`,
    '',
    '| status | expectation | arguments | observed |',
    '|---|---|---|---|',
    ...result.results.map((r) => `| ${r.success ? 'pass' : '**FAIL**'} | ${r.expectation_config.expectation_type} | ${cell(argsText(r))} | ${cell(observedText(r))}${r.approximate ? ' (approx.)' : ''} |`),
  ];
  return `${lines.join('\n')}\n`;
}
