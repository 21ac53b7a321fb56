/**
 * Data contracts, read from two layouts into one model:
 *  - the Data Contract Specification (datacontract.com, `dataContractSpecification: 1.x`): `info`, `models.<name>.
 *    fields.<name>` with type/required/unique/primaryKey/enum/format/pattern/minLength/maxLength/minimum/maximum/
 *    exclusiveMinimum/exclusiveMaximum/pii/classification, model- or field-level `quality` (type great-expectations,
 *    or a SodaCL subset), and `servicelevels`;
 *  - the seeds' layout (`modern-data-engineering-guide.md`): `schema.fields[]` with allowed_values and
 *    constraints.min/max, `quality_sla` (completeness, validity patterns, row_count, freshness), `evolution_policy`,
 *    `consumers`.
 */
import { parse as parseYaml } from 'yaml';
import { closest, ConfigCheck, configFromValue, readConfigFile, type ConfigPath } from '../config/index.ts';
import { dcsContractSchema, seedContractSchema } from './contract-schema.ts';
import { parseSlaDuration } from './freshness.ts';
import { SuiteError } from './quality-error.ts';
import { checkExpectation } from './registry.ts';
import type { ExpectationConfig } from './result.ts';

export interface ContractField {
  readonly name: string;
  /** The declared type, lower-cased (`long`, `decimal(10,2)`, `timestamp`, `array<...>`). */
  readonly type: string;
  readonly required: boolean;
  readonly unique: boolean;
  readonly enum?: readonly unknown[];
  readonly format?: string;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly pii?: boolean;
  readonly classification?: string;
  readonly description?: string;
  readonly default?: unknown;
}

/** A quality rule of the contract: an expectation, or a rule Riffle reports as not evaluated (with why). */
export type ContractRule = { readonly name: string; readonly expectation: ExpectationConfig } | { readonly name: string; readonly skipped: string };

export interface ContractModel {
  readonly name: string;
  readonly fields: readonly ContractField[];
  readonly rules: readonly ContractRule[];
}

export interface DataContract {
  readonly id: string;
  readonly title: string;
  readonly version: string;
  readonly owner?: string;
  readonly layout: 'datacontract-specification' | 'seed';
  readonly models: readonly ContractModel[];
  readonly servicelevels?: Readonly<Record<string, unknown>>;
  /** The freshness SLA (quality_sla.freshness.max_delay_minutes, or servicelevels.freshness.threshold), in minutes. */
  readonly freshnessMinutes?: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/**
 * Reads a contract file (YAML or JSON), validated against its layout's schema first: an unknown key, a mistyped
 * type, an impossible bound or a quality rule with bad kwargs is a ConfigFileError naming the file, line and key.
 */
export function loadContract(path: string): DataContract {
  const check = new ConfigCheck(readConfigFile(path));
  checkContract(check);
  check.finish({ hint: CONTRACT_HINT });
  return parseContract(check.doc.data, path, false);
}

const CONTRACT_HINT = 'see https://datacontract.com (dataContractSpecification, models.<name>.fields) or examples/contracts/orders.contract.yaml';

/** Reads a contract from parsed YAML/JSON (validated as loadContract does, unless `validated` says it was). */
export function parseContract(data: unknown, source = 'contract', validated = true): DataContract {
  if (validated) {
    const check = new ConfigCheck(configFromValue(data, source));
    checkContract(check);
    check.finish({ hint: CONTRACT_HINT });
  }
  if (!isObj(data)) throw new SuiteError(`${source}: a contract is a YAML mapping`);
  if (isObj(data.models)) return parseDcs(data, source);
  if (isObj(data.schema) && Array.isArray(data.schema.fields)) return parseSeed(data, source);
  throw new SuiteError(`${source}: no models (Data Contract Specification) and no schema.fields (seed layout) found`, { hint: CONTRACT_HINT });
}

/** Validates a contract document: its layout's schema, then bounds, field references and quality rules. */
export function checkContract(check: ConfigCheck): void {
  const data = check.doc.data;
  if (!isObj(data)) {
    check.report([], 'a contract is a mapping (Data Contract Specification with models, or the seed layout with schema.fields)');
    return;
  }
  const dcs = 'dataContractSpecification' in data || 'models' in data || 'info' in data;
  const seed = 'schema' in data || 'dataset' in data || 'quality_sla' in data;
  if (!dcs && !seed) {
    check.report([], 'no models (Data Contract Specification) and no schema.fields (seed layout) found');
    return;
  }
  if (dcs) {
    const v = check.validate(dcsContractSchema);
    if (v === undefined) return;
    for (const [model, m] of Object.entries(v.models)) {
      for (const [fname, f] of Object.entries(m.fields)) {
        const at = ['models', model, 'fields', fname];
        checkBounds(check, at, f as Obj);
        const quality = (f as Obj).quality;
        if (Array.isArray(quality)) quality.forEach((q, i) => checkRule(check, [...at, 'quality', i, ...ruleBody(q)], qualityRule(q, '', fname)));
      }
      (m.quality ?? []).forEach((q, i) => checkRule(check, ['models', model, 'quality', i, ...ruleBody(q)], qualityRule(q, '')));
      const fieldNames = Object.keys(m.fields);
      (m.primaryKey ?? []).forEach((col, i) => {
        if (!fieldNames.includes(col)) check.report(['models', model, 'primaryKey', i], `\`${col}\` is not a field of this model${closest(col, fieldNames).map((x) => ` (did you mean \`${x}\`?)`).join('')}`);
      });
    }
    if (isObj(data.servicelevels) && isObj(data.servicelevels.freshness) && data.servicelevels.freshness.threshold !== undefined) {
      check.attempt(['servicelevels', 'freshness', 'threshold'], () => parseSlaDuration((data.servicelevels as Obj & { freshness: Obj }).freshness.threshold, 'servicelevels.freshness.threshold', 60_000));
    }
    return;
  }
  const v = check.validate(seedContractSchema);
  if (v === undefined) return;
  const names = v.schema.fields.map((f) => f.name);
  v.schema.fields.forEach((f, i) => checkBounds(check, ['schema', 'fields', i], f as Obj));
  const known = (at: ConfigPath, name: string) => {
    if (!names.includes(name)) check.report(at, `\`${name}\` is not a field of schema.fields${closest(name, names).map((c) => ` (did you mean \`${c}\`?)`).join('')}`);
  };
  const sla = v.quality_sla;
  sla?.completeness?.required_fields.forEach((c, i) => known(['quality_sla', 'completeness', 'required_fields', i], c));
  sla?.validity?.forEach((rule, i) => {
    known(['quality_sla', 'validity', i, 'field'], rule.field);
    if ('pattern' in rule) checkRule(check, ['quality_sla', 'validity', i], { name: '', expectation: { expectation_type: 'expect_column_values_to_match_regex', kwargs: { column: rule.field, regex: rule.pattern } } }, 'pattern');
  });
  const rc = sla?.row_count;
  if (rc?.expected_daily_min !== undefined && rc.expected_daily_max !== undefined && rc.expected_daily_min > rc.expected_daily_max) {
    check.report(['quality_sla', 'row_count', 'expected_daily_max'], `expected_daily_max (${rc.expected_daily_max}) is below expected_daily_min (${rc.expected_daily_min}): no row count can pass`);
  }
}

/** Where a DCS quality entry keeps its expectation (`implementation`, `expectation`, or the entry itself). */
function ruleBody(q: unknown): string[] {
  if (!isObj(q)) return [];
  if (q.type === 'custom' && isObj(q.implementation)) return ['implementation'];
  return isObj(q.expectation) ? ['expectation'] : [];
}

/** min ≤ max for values and lengths (an impossible range would fail every row, or hide a typo). */
function checkBounds(check: ConfigCheck, at: ConfigPath, f: Obj): void {
  const c = isObj(f.constraints) ? f.constraints : {};
  const pairs: Array<[string[], unknown, string[], unknown]> = [
    [['minimum'], f.minimum ?? f.exclusiveMinimum, ['maximum'], f.maximum ?? f.exclusiveMaximum],
    [['constraints', 'min'], c.min, ['constraints', 'max'], c.max],
    [['minLength'], f.minLength, ['maxLength'], f.maxLength],
    [['constraints', 'min_length'], c.min_length, ['constraints', 'max_length'], c.max_length],
  ];
  for (const [, lo, hiKey, hi] of pairs) {
    if (typeof lo === 'number' && typeof hi === 'number' && lo > hi) check.report([...at, ...hiKey], `the maximum (${hi}) is below the minimum (${lo}): no value can pass`);
  }
  const lo = typeof f.exclusiveMinimum === 'number' ? f.exclusiveMinimum : undefined;
  const hi = typeof f.exclusiveMaximum === 'number' ? f.exclusiveMaximum : undefined;
  const min = typeof f.minimum === 'number' ? f.minimum : undefined;
  const max = typeof f.maximum === 'number' ? f.maximum : undefined;
  const empty = (a: number | undefined, b: number | undefined) => a !== undefined && b !== undefined && a >= b;
  if (empty(lo, hi) || empty(lo, max) || empty(min, hi)) check.report([...at, lo !== undefined ? 'exclusiveMinimum' : 'exclusiveMaximum'], 'the exclusive bounds leave no value that can pass');
  if (f.enum !== undefined && f.allowed_values !== undefined) check.report([...at, 'allowed_values'], 'give enum or allowed_values, not both');
}

/** A quality rule's expectation must compile (known type, valid kwargs, a translatable regex...). */
function checkRule(check: ConfigCheck, at: ConfigPath, rule: ContractRule, kwargsKey?: string): void {
  if (!('expectation' in rule)) return;
  if (kwargsKey !== undefined) {
    check.attempt([...at, kwargsKey], () => checkOne(rule.expectation));
    return;
  }
  const raw = check.valueAt(at);
  checkExpectation(check, at, rule.expectation, isObj(raw) && raw.expectation_type === undefined && raw.type !== undefined ? 'type' : 'expectation_type');
}

function checkOne(config: ExpectationConfig): void {
  const inner = new ConfigCheck(configFromValue(config.kwargs, config.expectation_type));
  checkExpectation(inner, [], config);
  if (!inner.ok) throw new SuiteError(inner.issues.map((i) => i.message).join('; '));
}

function field(name: string, f: Obj): ContractField {
  const type = String(f.type ?? 'string').toLowerCase().replace(/\s+/g, '');
  // The seed layout keeps bounds under `constraints`; DCS writes them on the field.
  const c = isObj(f.constraints) ? f.constraints : {};
  const key = f.primaryKey === true || f.primary === true || f.primary_key === true;
  const minLength = num(f.minLength) ?? num(c.min_length);
  const maxLength = num(f.maxLength) ?? num(c.max_length);
  const minimum = num(f.minimum) ?? num(c.min);
  const maximum = num(f.maximum) ?? num(c.max);
  const pattern = str(f.pattern) ?? str(c.pattern);
  return {
    name,
    type,
    required: f.required === true || key,
    unique: f.unique === true || key,
    ...(Array.isArray(f.enum) ? { enum: f.enum } : Array.isArray(f.allowed_values) ? { enum: f.allowed_values } : {}),
    ...(str(f.format) ? { format: str(f.format) } : {}),
    ...(pattern !== undefined ? { pattern } : {}),
    ...(minLength !== undefined ? { minLength } : {}),
    ...(maxLength !== undefined ? { maxLength } : {}),
    ...(minimum !== undefined ? { minimum } : {}),
    ...(maximum !== undefined ? { maximum } : {}),
    ...(num(f.exclusiveMinimum) !== undefined ? { exclusiveMinimum: num(f.exclusiveMinimum) } : {}),
    ...(num(f.exclusiveMaximum) !== undefined ? { exclusiveMaximum: num(f.exclusiveMaximum) } : {}),
    ...(typeof f.pii === 'boolean' ? { pii: f.pii } : {}),
    ...(str(f.classification) ? { classification: str(f.classification) } : {}),
    ...(str(f.description) ? { description: str(f.description) } : {}),
    ...('default' in f ? { default: f.default } : {}),
  };
}

function parseDcs(data: Obj, source: string): DataContract {
  const info = isObj(data.info) ? data.info : {};
  const topQuality = isObj(data.quality) ? data.quality : undefined;
  const models = Object.entries(data.models as Obj).map(([name, m]): ContractModel => {
    if (!isObj(m) || !isObj(m.fields)) throw new SuiteError(`${source}: model '${name}' has no fields`);
    const fields = Object.entries(m.fields).map(([fname, f]) => field(fname, isObj(f) ? f : {}));
    const rules: ContractRule[] = [];
    for (const [fname, f] of Object.entries(m.fields)) if (isObj(f) && Array.isArray(f.quality)) rules.push(...f.quality.map((q, i) => qualityRule(q, `${name}.${fname} quality #${i + 1}`, fname)));
    for (const [fname, f] of Object.entries(m.fields)) {
      if (isObj(f) && (isObj(f.fields) || isObj(f.items) || isObj(f.keys) || isObj(f.values))) rules.push({ name: `${fname}: nested fields`, skipped: 'the fields inside a struct, array or map are described, not checked (the column is checked as a whole)' });
    }
    if (Array.isArray(m.quality)) rules.push(...m.quality.map((q, i) => qualityRule(q, `${name} quality #${i + 1}`)));
    // A compound primary key: the tuple is unique (each part is also required).
    if (Array.isArray(m.primaryKey) && m.primaryKey.length > 0) {
      const columns = m.primaryKey.map(String);
      rules.push({ name: `primary key (${columns.join(', ')}) unique`, expectation: { expectation_type: 'expect_compound_columns_to_be_unique', kwargs: { column_list: columns } } });
      for (const col of columns) rules.push({ name: `primary key part ${col} required`, expectation: { expectation_type: 'expect_column_values_to_not_be_null', kwargs: { column: col } } });
    }
    if (topQuality) rules.push(...topLevelQuality(topQuality, name));
    return { name, fields, rules };
  });
  return {
    id: String(data.id ?? info.title ?? source),
    title: String(info.title ?? data.id ?? source),
    version: String(info.version ?? ''),
    ...(str(info.owner) ? { owner: str(info.owner) } : {}),
    layout: 'datacontract-specification',
    models,
    ...(isObj(data.servicelevels) ? { servicelevels: data.servicelevels } : {}),
    ...(isObj(data.servicelevels) && isObj(data.servicelevels.freshness) && data.servicelevels.freshness.threshold !== undefined
      ? { freshnessMinutes: parseSlaDuration(data.servicelevels.freshness.threshold, 'servicelevels.freshness.threshold', 60_000) / 60_000 }
      : {}),
  };
}

/** DCS quality entries (v1.1): `type: great-expectations` with expectations, `type: sql`/`text`/custom not run. */
function qualityRule(q: unknown, name: string, column?: string): ContractRule {
  if (!isObj(q)) return { name, skipped: 'not a mapping' };
  const description = str(q.description) ?? str(q.name) ?? name;
  if (q.type === 'custom' && q.engine === 'great-expectations' && isObj(q.implementation)) {
    const e = q.implementation;
    const type = str(e.expectation_type) ?? str(e.type);
    if (type !== undefined) return { name: description, expectation: { expectation_type: type, kwargs: { ...(column ? { column } : {}), ...(isObj(e.kwargs) ? e.kwargs : {}) } } };
  }
  if (q.type === 'great-expectations' || q.type === 'library') {
    const e = (isObj(q.expectation) ? q.expectation : q) as Obj;
    const type = str(e.expectation_type) ?? str(e.type === 'library' ? e.rule : undefined);
    if (type && type.startsWith('expect_')) return { name: description, expectation: { expectation_type: type, kwargs: { ...(column ? { column } : {}), ...(isObj(e.kwargs) ? e.kwargs : {}) } } };
  }
  return { name: description, skipped: `quality type '${String(q.type)}' is not evaluated by riffle contract test (only great-expectations rules and the SodaCL subset)` };
}

/** Top-level `quality: { type: SodaCL | great-expectations, specification }` (DCS 0.9–1.0). */
function topLevelQuality(q: Obj, model: string): ContractRule[] {
  const spec = q.specification;
  if (q.type === 'great-expectations') {
    const list = Array.isArray(spec) ? spec : isObj(spec) ? (spec[model] ?? spec[`${model}.json`] ?? spec[`${model}.yaml`]) : undefined;
    const parsed = typeof list === 'string' ? (parseYaml(list) as unknown) : list;
    const items = Array.isArray(parsed) ? parsed : isObj(parsed) && Array.isArray(parsed.expectations) ? parsed.expectations : [];
    return items.filter(isObj).map((e, i) => ({ name: `great-expectations #${i + 1}`, expectation: { expectation_type: String(e.expectation_type ?? e.type), kwargs: (e.kwargs ?? {}) as Obj } }));
  }
  if (String(q.type).toLowerCase() === 'sodacl' && isObj(spec)) {
    const checks = spec[`checks for ${model}`];
    return Array.isArray(checks) ? checks.map((c) => sodaCheck(c)) : [];
  }
  return [{ name: `quality (${String(q.type)})`, skipped: `quality type '${String(q.type)}' is not evaluated` }];
}

/**
 * A SodaCL subset: `row_count > n` (and >=, <, <=, =), `row_count between a and b`, `missing_count(col) = 0`,
 * `duplicate_count(col) = 0`, `min(col) >= x`, `max(col) <= x`, `avg(col) between a and b`.
 */
export function sodaCheck(check: unknown): ContractRule {
  const text = typeof check === 'string' ? check : isObj(check) ? Object.keys(check)[0] ?? '' : '';
  const m = /^\s*(row_count|missing_count|duplicate_count|min|max|avg|sum|stddev)(?:\((\w+)\))?\s*(between\s+(-?[\d.]+)\s+and\s+(-?[\d.]+)|(>=|<=|=|>|<)\s*(-?[\d.]+))\s*$/.exec(text);
  if (m === null) return { name: text, skipped: 'SodaCL check outside the supported subset' };
  const [, metric, column, , lo, hi, op, value] = m;
  const v = Number(value);
  const bounds = lo !== undefined ? { min_value: Number(lo), max_value: Number(hi) } : op === '>' ? { min_value: v, strict_min: true } : op === '>=' ? { min_value: v } : op === '<' ? { max_value: v, strict_max: true } : op === '<=' ? { max_value: v } : { min_value: v, max_value: v };
  const e = (expectation_type: string, kwargs: Obj): ContractRule => ({ name: text, expectation: { expectation_type, kwargs } });
  switch (metric) {
    case 'row_count':
      return e('expect_table_row_count_to_be_between', bounds);
    case 'missing_count':
      if (op === '=' && v === 0) return e('expect_column_values_to_not_be_null', { column });
      break;
    case 'duplicate_count':
      if (op === '=' && v === 0) return e('expect_column_values_to_be_unique', { column });
      break;
    case 'min':
      return e('expect_column_min_to_be_between', { column, ...bounds });
    case 'max':
      return e('expect_column_max_to_be_between', { column, ...bounds });
    case 'avg':
      return e('expect_column_mean_to_be_between', { column, ...bounds });
    case 'sum':
      return e('expect_column_sum_to_be_between', { column, ...bounds });
    case 'stddev':
      return e('expect_column_stdev_to_be_between', { column, ...bounds });
  }
  return { name: text, skipped: 'SodaCL check outside the supported subset' };
}

function parseSeed(data: Obj, source: string): DataContract {
  const fields = (data.schema as Obj).fields as unknown[];
  const parsed = fields.map((f, i) => {
    if (!isObj(f) || typeof f.name !== 'string') throw new SuiteError(`${source}: schema.fields[${i}] needs a name`);
    return field(f.name, f);
  });
  const rules: ContractRule[] = [];
  const sla = isObj(data.quality_sla) ? data.quality_sla : {};
  if (isObj(sla.completeness)) {
    const c = sla.completeness;
    const threshold = num(c.null_rate_threshold) ?? 0;
    for (const col of Array.isArray(c.required_fields) ? c.required_fields : []) {
      rules.push({ name: `completeness: ${String(col)} null rate ≤ ${threshold}`, expectation: { expectation_type: 'expect_column_values_to_not_be_null', kwargs: { column: col, mostly: 1 - threshold } } });
    }
  }
  for (const v of Array.isArray(sla.validity) ? sla.validity : []) {
    if (!isObj(v) || typeof v.field !== 'string') continue;
    if (typeof v.pattern === 'string') rules.push({ name: `validity: ${v.field} matches pattern`, expectation: { expectation_type: 'expect_column_values_to_match_regex', kwargs: { column: v.field, regex: v.pattern } } });
    else if (typeof v.rule === 'string') rules.push({ name: `validity: ${v.rule}`, skipped: 'rule expressions over nested fields are not evaluated yet' });
  }
  if (isObj(sla.row_count)) {
    const min = num(sla.row_count.expected_daily_min);
    const max = num(sla.row_count.expected_daily_max);
    rules.push({ name: 'row_count (per daily batch)', expectation: { expectation_type: 'expect_table_row_count_to_be_between', kwargs: { ...(min !== undefined ? { min_value: min } : {}), ...(max !== undefined ? { max_value: max } : {}) } } });
  }
  if (isObj(sla.freshness)) rules.push({ name: `freshness: max delay ${String(sla.freshness.max_delay_minutes)} min`, skipped: 'freshness is measured on tables (commit times), not on a data file' });
  const name = String(data.dataset ?? 'dataset');
  return {
    id: name,
    title: name,
    version: String(data.contract_version ?? ''),
    ...(str(data.owner) ? { owner: str(data.owner) } : {}),
    layout: 'seed',
    models: [{ name, fields: parsed, rules }],
    ...(isObj(sla.freshness) && num(sla.freshness.max_delay_minutes) !== undefined ? { freshnessMinutes: num(sla.freshness.max_delay_minutes) } : {}),
  };
}
