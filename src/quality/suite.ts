/**
 * Expectation suites: GE's shape (`{ expectation_suite_name, expectations: [{ expectation_type, kwargs, meta }],
 * meta }`), stored as JSON or YAML, and built in code with `suite(name, [expect.x(...)])`.
 */
import { writeFileSync } from 'node:fs';
import { stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { ConfigCheck, configFromValue, readConfigFile, type ConfigPath } from '../config/index.ts';
import { checkExpectation } from './registry.ts';
import type { ExpectationConfig } from './result.ts';

export interface Suite {
  readonly expectation_suite_name: string;
  readonly expectations: readonly ExpectationConfig[];
  readonly meta?: Readonly<Record<string, unknown>>;
}

/**
 * A suite from expectations.
 * @example suite('orders', [expect.columnValuesToNotBeNull('id'), expect.columnValuesToBeBetween('amount', { min_value: 0 })])
 */
export function suite(name: string, expectations: readonly ExpectationConfig[], meta: Record<string, unknown> = {}): Suite {
  return { expectation_suite_name: name, expectations, meta };
}

const expectationEntry = z.strictObject({
  expectation_type: z.string().optional(),
  type: z.string().optional(),
  kwargs: z.record(z.string(), z.unknown()).optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
  id: z.string().nullable().optional(),
  ge_cloud_id: z.string().nullable().optional(),
  notes: z.unknown().optional(),
  description: z.string().nullable().optional(),
  rendered_content: z.unknown().optional(),
});

/** A suite file: GE 0.x (`expectation_suite_name`, `expectation_type`) or 1.x (`name`, `type`). */
const suiteSchema = z.strictObject({
  expectation_suite_name: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  id: z.string().nullable().optional(),
  ge_cloud_id: z.string().nullable().optional(),
  data_asset_type: z.string().nullable().optional(),
  expectations: z.array(expectationEntry),
  meta: z.record(z.string(), z.unknown()).optional(),
  notes: z.unknown().optional(),
});

const SUITE_HINT = 'shape: { expectation_suite_name, expectations: [{ expectation_type, kwargs }] }';

/**
 * Checks a suite at `at` of a configuration document (a suite file, or a suite inline in a checkpoint), reporting
 * each problem with its line; returns the suite when it is valid.
 */
export function checkSuite(check: ConfigCheck, at: ConfigPath = []): Suite | undefined {
  const before = check.issues.length;
  const raw = check.validate(suiteSchema, check.valueAt(at), at);
  // The expectations are checked even when the envelope has a mistake, so that one run reports every problem.
  const entries = check.valueAt([...at, 'expectations']);
  const expectations: ExpectationConfig[] = [];
  (Array.isArray(entries) ? entries : []).forEach((entry, i) => {
    const x = (typeof entry === 'object' && entry !== null ? entry : {}) as { expectation_type?: unknown; type?: unknown; kwargs?: unknown; meta?: Record<string, unknown> };
    const path = [...at, 'expectations', i];
    // GE 1.x writes `type`; 0.x writes `expectation_type`.
    const type = x.expectation_type ?? x.type;
    if (typeof type !== 'string') return check.report(path, 'missing required key `expectation_type` (the GE expectation name, e.g. expect_column_values_to_not_be_null)');
    if (x.expectation_type !== undefined && x.type !== undefined) return check.report([...path, 'type'], 'give expectation_type or type, not both');
    const kwargs = typeof x.kwargs === 'object' && x.kwargs !== null && !Array.isArray(x.kwargs) ? (x.kwargs as Record<string, unknown>) : {};
    const config: ExpectationConfig = { expectation_type: type, kwargs, ...(x.meta ? { meta: x.meta } : {}) };
    if (checkExpectation(check, path, config, x.expectation_type !== undefined ? 'expectation_type' : 'type') !== undefined) expectations.push(config);
  });
  if (raw === undefined || check.issues.length > before) return undefined;
  return { expectation_suite_name: raw.expectation_suite_name ?? raw.name ?? 'default', expectations, meta: raw.meta ?? {} };
}

/** Reads a suite from parsed JSON/YAML, checking every expectation (unknown types, unknown or mistyped kwargs). */
export function parseSuite(data: unknown, source = 'suite'): Suite {
  const check = new ConfigCheck(configFromValue(data, source));
  const s = checkSuite(check);
  check.finish({ hint: SUITE_HINT });
  return s!;
}

/** Loads a suite file (.json, .yaml or .yml); every mistake is reported with its line. */
export function loadSuite(path: string): Suite {
  const check = new ConfigCheck(readConfigFile(path, /\.ya?ml$/i.test(path) ? 'yaml' : 'json'));
  const s = checkSuite(check);
  check.finish({ hint: SUITE_HINT });
  return s!;
}

/** Writes a suite as JSON or YAML (by extension). Functions (custom predicates) cannot be stored. */
export function saveSuite(s: Suite, path: string): void {
  const plain = { expectation_suite_name: s.expectation_suite_name, expectations: s.expectations, meta: s.meta ?? {} };
  writeFileSync(path, /\.ya?ml$/i.test(path) ? stringifyYaml(plain) : `${JSON.stringify(plain, null, 2)}\n`);
}
