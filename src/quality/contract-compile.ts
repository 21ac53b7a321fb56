/**
 * A contract model compiled to what validates data: a coercion of raw values to the declared types (CSV cells are
 * text; a cell that does not convert stays as it was so the type check reports it), a schema check (columns
 * exist, values of their type) and the quality rules — all as one suite, so one pass checks everything.
 */
import type { ContractField, ContractModel, DataContract } from './contract.ts';
import { SuiteError } from './quality-error.ts';
import type { ExpectationConfig } from './result.ts';
import { suite, type Suite } from './suite.ts';
import type { Row } from './values.ts';

export interface CompiledContract {
  readonly model: ContractModel;
  readonly suite: Suite;
  /** A name for each expectation of the suite (same order): the contract check it comes from. */
  readonly checkNames: readonly string[];
  readonly skipped: ReadonlyArray<{ name: string; reason: string }>;
  /** Converts a row's raw values (strings from CSV, JSON values) to the declared types. */
  coerce(row: Row): Row;
}

const FORMATS: Record<string, string> = {
  email: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
  uuid: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  uri: '^[a-zA-Z][a-zA-Z0-9+.-]*:[^\\s]*$',
  url: '^https?://[^\\s]+$',
};

/** The expectation type name for a contract type (`long` → int, `decimal(10,2)` → float...). */
export function logicalType(type: string): 'int' | 'float' | 'str' | 'bool' | 'datetime' | 'list' | 'dict' | 'bytes' {
  const t = type.toLowerCase();
  if (/^(int|integer|long|bigint|smallint|tinyint)$/.test(t)) return 'int';
  if (/^(float|double|number|numeric|real)$/.test(t) || t.startsWith('decimal')) return 'float';
  if (/^(bool|boolean)$/.test(t)) return 'bool';
  if (/^(timestamp|timestamp_tz|timestamp_ntz|date|datetime|time)$/.test(t)) return 'datetime';
  if (t.startsWith('array') || t === 'list') return 'list';
  if (/^(object|record|struct|map)/.test(t)) return 'dict';
  if (t === 'bytes' || t === 'binary') return 'bytes';
  return 'str';
}

function converter(f: ContractField): (v: unknown) => unknown {
  const kind = logicalType(f.type);
  return (v) => {
    if (typeof v !== 'string') {
      if (kind === 'datetime' && typeof v === 'number') return new Date(v);
      return v;
    }
    if (v === '') return kind === 'str' ? v : null;
    switch (kind) {
      case 'int':
        return /^[+-]?\d+$/.test(v.trim()) ? Number(v) : v;
      case 'float': {
        const n = Number(v);
        return v.trim() !== '' && Number.isFinite(n) ? n : v;
      }
      case 'bool':
        return /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : v;
      case 'datetime': {
        if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v.trim())) return v;
        const d = new Date(v.trim());
        return Number.isNaN(d.getTime()) ? v : d;
      }
      case 'list':
      case 'dict':
        try {
          const parsed: unknown = JSON.parse(v);
          return kind === 'list' ? (Array.isArray(parsed) ? parsed : v) : typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : v;
        } catch {
          return v;
        }
      default:
        return v;
    }
  };
}

/** Compiles one model of a contract (the first, unless named). */
export function compileContract(contract: DataContract, modelName?: string): CompiledContract {
  const model = modelName === undefined ? contract.models[0] : contract.models.find((m) => m.name === modelName);
  if (model === undefined) throw new SuiteError(`contract '${contract.title}' has no model ${modelName === undefined ? '' : `'${modelName}'`}`, { hint: `models: ${contract.models.map((m) => m.name).join(', ')}` });
  const expectations: ExpectationConfig[] = [];
  const names: string[] = [];
  const unchecked: Array<{ name: string; reason: string }> = [];
  const add = (name: string, expectation_type: string, kwargs: Record<string, unknown>) => {
    names.push(name);
    expectations.push({ expectation_type, kwargs });
  };
  for (const f of model.fields) {
    const c = f.name;
    if (f.required) add(`schema: ${c} present`, 'expect_column_to_exist', { column: c });
    const kind = logicalType(f.type);
    if (kind !== 'bytes') add(`schema: ${c} is ${f.type}`, 'expect_column_values_to_be_of_type', { column: c, type_: kind });
    if (f.required) add(`${c} required`, 'expect_column_values_to_not_be_null', { column: c });
    if (f.unique) add(`${c} unique`, 'expect_column_values_to_be_unique', { column: c });
    if (f.enum) add(`${c} in enum`, 'expect_column_values_to_be_in_set', { column: c, value_set: f.enum });
    if (f.format && FORMATS[f.format]) add(`${c} format ${f.format}`, 'expect_column_values_to_match_regex', { column: c, regex: FORMATS[f.format] });
    else if (f.format) unchecked.push({ name: `${c} format ${f.format}`, reason: `format '${f.format}' is not checked by Riffle (${Object.keys(FORMATS).join(', ')} are)` });
    if (f.pattern) add(`${c} pattern`, 'expect_column_values_to_match_regex', { column: c, regex: f.pattern });
    if (f.minLength !== undefined || f.maxLength !== undefined) add(`${c} length`, 'expect_column_value_lengths_to_be_between', { column: c, min_value: f.minLength ?? null, max_value: f.maxLength ?? null });
    const min = f.exclusiveMinimum ?? f.minimum;
    const max = f.exclusiveMaximum ?? f.maximum;
    if (min !== undefined || max !== undefined) {
      add(`${c} range`, 'expect_column_values_to_be_between', {
        column: c,
        ...(min !== undefined ? { min_value: min, strict_min: f.exclusiveMinimum !== undefined } : {}),
        ...(max !== undefined ? { max_value: max, strict_max: f.exclusiveMaximum !== undefined } : {}),
      });
    }
  }
  const skipped: Array<{ name: string; reason: string }> = [...unchecked];
  for (const r of model.rules) {
    if ('skipped' in r) skipped.push({ name: r.name, reason: r.skipped });
    else add(r.name, r.expectation.expectation_type, { ...r.expectation.kwargs });
  }
  const converters = model.fields.map((f) => [f.name, converter(f)] as const);
  return {
    model,
    suite: suite(`${contract.title}${contract.version ? ` v${contract.version}` : ''}`, expectations, { contract: contract.id, model: model.name }),
    checkNames: names,
    skipped,
    coerce(row) {
      const out: Record<string, unknown> = { ...row };
      for (const [name, convert] of converters) if (name in out) out[name] = convert(out[name]);
      return out;
    },
  };
}
