/**
 * The run context tasks see and templates render: `{{ ds }}`, `{{ ds_nodash }}`, `{{ ts }}`,
 * `{{ data_interval_start }}`, `{{ data_interval_end }}`, `{{ params.name }}`... Dates (`ds`) are calendar dates in
 * the DAG's time zone (a daily DAG in Europe/Paris gets the Paris date, not the UTC one); `ts` and the interval
 * bounds are ISO 8601 with that zone's offset.
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

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*\}\}/g;

/**
 * Replaces `{{ name }}` and `{{ params.a.b }}` placeholders. An unknown name throws (a typo should fail the task
 * with a message, not write to `data/undefined/`).
 */
export function renderTemplate(template: string, ctx: TemplateContext): string {
  return template.replace(PLACEHOLDER, (_, path: string) => {
    let value: unknown = ctx;
    for (const part of path.split('.')) {
      value = typeof value === 'object' && value !== null && Object.hasOwn(value, part) ? (value as Record<string, unknown>)[part] : undefined;
    }
    if (value === undefined) {
      throw new DagDefinitionError(`template '${template}' refers to unknown '${path}'`, {
        hint: `known names: ${Object.keys(ctx).filter((k) => k !== 'params').join(', ')}, params.<name> (params: ${Object.keys(ctx.params).join(', ') || 'none'})`,
      });
    }
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
}
