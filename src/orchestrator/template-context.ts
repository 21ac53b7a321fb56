/**
 * The run context tasks see and templates render: `{{ ds }}`, `{{ ds_nodash }}`, `{{ ts }}`,
 * `{{ data_interval_start }}`, `{{ data_interval_end }}`, `{{ params.name }}`... Dates (`ds`) are calendar dates in
 * the DAG's time zone (a daily DAG in Europe/Paris gets the Paris date, not the UTC one); `ts` and the interval
 * bounds are ISO 8601 with that zone's offset. A placeholder may end with a filter: `{{ params.x | raw }}` (only
 * meaningful in shell commands, where values are otherwise quoted: see `shell-quote.ts`).
 * @example
 *   renderTemplate('data/{{ ds }}/in-{{ params.region }}.csv', ctx) // 'data/2024-01-01/in-eu.csv'
 */
import { DagDefinitionError } from './errors.ts';
import { formatDateIn, formatIsoIn } from './zoned-time.ts';

/** Values a template may refer to. */
export interface TemplateContext {
  readonly dag_id: string;
  readonly run_id: string;
  readonly task_id: string;
  readonly ds: string;
  readonly ds_nodash: string;
  readonly ts: string;
  readonly ts_nodash: string;
  readonly logical_date: string;
  readonly data_interval_start: string;
  readonly data_interval_end: string;
  readonly try_number: number;
  readonly map_index: number;
  readonly params: Readonly<Record<string, unknown>>;
}

/** What the context is built from. */
export interface TemplateSource {
  dagId: string;
  runId: string;
  taskId: string;
  logicalDate: number;
  dataIntervalStart: number;
  dataIntervalEnd: number;
  timezone: string;
  tryNumber: number;
  mapIndex: number;
  params: Readonly<Record<string, unknown>>;
}

/** Builds the template context of one task attempt. */
export function templateContext(s: TemplateSource): TemplateContext {
  const ds = formatDateIn(s.logicalDate, s.timezone);
  const ts = formatIsoIn(s.logicalDate, s.timezone);
  return {
    dag_id: s.dagId,
    run_id: s.runId,
    task_id: s.taskId,
    ds,
    ds_nodash: ds.replaceAll('-', ''),
    ts,
    ts_nodash: ts.slice(0, 19).replaceAll('-', '').replaceAll(':', ''),
    logical_date: ts,
    data_interval_start: formatIsoIn(s.dataIntervalStart, s.timezone),
    data_interval_end: formatIsoIn(s.dataIntervalEnd, s.timezone),
    try_number: s.tryNumber,
    map_index: s.mapIndex,
    params: s.params,
  };
}

/** The names a template may use (besides `params.<name>`). */
export const TEMPLATE_NAMES: readonly (keyof TemplateContext)[] = [
  'dag_id', 'run_id', 'task_id', 'ds', 'ds_nodash', 'ts', 'ts_nodash', 'logical_date', 'data_interval_start', 'data_interval_end', 'try_number', 'map_index', 'params',
];

/** Filters a placeholder may end with: `{{ params.x | raw }}`. */
export const TEMPLATE_FILTERS = ['raw'] as const;
export type TemplateFilter = (typeof TEMPLATE_FILTERS)[number];

const PLACEHOLDER = /\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*((?:\|\s*[A-Za-z_]\w*\s*)*)\}\}/g;

/** A template cut into literal text and placeholders (with their value rendered as text). */
export type TemplatePart = { kind: 'text'; text: string } | { kind: 'value'; path: string; value: string; filters: readonly TemplateFilter[]; source: string };

/**
 * Cuts a template into literal text and placeholders, looking every placeholder up. An unknown name or filter throws
 * (a typo should fail the task with a message, not write to `data/undefined/`). Objects render as JSON.
 */
export function templateParts(template: string, ctx: TemplateContext): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (m.index > last) parts.push({ kind: 'text', text: template.slice(last, m.index) });
    const path = m[1]!;
    const filters = (m[2] ?? '').split('|').map((f) => f.trim()).filter((f) => f !== '');
    for (const f of filters) {
      if (!(TEMPLATE_FILTERS as readonly string[]).includes(f)) {
        throw new DagDefinitionError(`template '${template}' uses unknown filter '${f}'`, { hint: `filters: ${TEMPLATE_FILTERS.join(', ')} ('raw' splices a value into a shell command unquoted)` });
      }
    }
    parts.push({ kind: 'value', path, value: lookup(template, path, ctx), filters: filters as TemplateFilter[], source: m[0] });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push({ kind: 'text', text: template.slice(last) });
  return parts;
}

function lookup(template: string, path: string, ctx: TemplateContext): string {
  const [head, ...rest] = path.split('.');
  let value: unknown = (TEMPLATE_NAMES as readonly string[]).includes(head!) ? (ctx as unknown as Record<string, unknown>)[head!] : undefined;
  for (const part of rest) {
    value = typeof value === 'object' && value !== null && Object.hasOwn(value, part) ? (value as Record<string, unknown>)[part] : undefined;
  }
  if (value === undefined) {
    throw new DagDefinitionError(`template '${template}' refers to unknown '${path}'`, {
      hint: `known names: ${TEMPLATE_NAMES.filter((k) => k !== 'params').join(', ')}, params.<name> (params: ${Object.keys(ctx.params).join(', ') || 'none'})`,
    });
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * Replaces `{{ name }}` and `{{ params.a.b }}` placeholders with their values, as they are (for paths, environment
 * values, pipeline parameters). Commands for a shell are rendered by `renderShellCommand`, which quotes them.
 */
export function renderTemplate(template: string, ctx: TemplateContext): string {
  return templateParts(template, ctx).map((p) => (p.kind === 'text' ? p.text : p.value)).join('');
}

/**
 * Renders a template whose literal text is a language of its own (a glob pattern...), passing each value through
 * `escape` so that it stays data (`| raw` values are spliced as they are).
 * @example renderTemplateWith('in/{{ params.name }}-*.csv', ctx, escapeGlob) // a name '*' matches only '*'
 */
export function renderTemplateWith(template: string, ctx: TemplateContext, escape: (value: string) => string): string {
  return templateParts(template, ctx).map((p) => (p.kind === 'text' ? p.text : p.filters.includes('raw') ? p.value : escape(p.value))).join('');
}

/** A value as a literal inside a glob pattern (tinyglobby / picomatch syntax). */
export function escapeGlob(value: string): string {
  return value.replace(/[\\*?[\]{}()!+@|]/g, '\\$&');
}
