/**
 * Expectation suites: GE's shape (`{ expectation_suite_name, expectations: [{ expectation_type, kwargs, meta }],
 * meta }`), stored as JSON or YAML, and built in code with `suite(name, [expect.x(...)])`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { SuiteError } from './quality-error.ts';
import { compileExpectation } from './registry.ts';
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

/** Reads a suite from parsed JSON/YAML, checking every expectation compiles (unknown types, bad kwargs). */
export function parseSuite(data: unknown, source = 'suite'): Suite {
  if (typeof data !== 'object' || data === null || !Array.isArray((data as { expectations?: unknown }).expectations)) {
    throw new SuiteError(`${source}: a suite needs an 'expectations' list`, { hint: 'shape: { expectation_suite_name, expectations: [{ expectation_type, kwargs }] }' });
  }
  const raw = data as { expectation_suite_name?: unknown; name?: unknown; expectations: unknown[]; meta?: Record<string, unknown> };
  const expectations = raw.expectations.map((e, i) => {
    const x = e as { expectation_type?: unknown; type?: unknown; kwargs?: unknown; meta?: Record<string, unknown> };
    // GE 1.x writes `type`; 0.x writes `expectation_type`.
    const type = x.expectation_type ?? x.type;
    if (typeof type !== 'string') throw new SuiteError(`${source}: expectation #${i + 1} has no expectation_type`);
    const config: ExpectationConfig = { expectation_type: type, kwargs: (x.kwargs ?? {}) as Record<string, unknown>, ...(x.meta ? { meta: x.meta } : {}) };
    compileExpectation(config);
    return config;
  });
  const name = raw.expectation_suite_name ?? raw.name ?? 'default';
  return { expectation_suite_name: String(name), expectations, meta: raw.meta ?? {} };
}

/** Loads a suite file (.json, .yaml or .yml). */
export function loadSuite(path: string): Suite {
  const text = readFileSync(path, 'utf8');
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new SuiteError(`${path}: not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(e as Error).message}`);
  }
  return parseSuite(data, path);
}

/** Writes a suite as JSON or YAML (by extension). Functions (custom predicates) cannot be stored. */
export function saveSuite(s: Suite, path: string): void {
  const plain = { expectation_suite_name: s.expectation_suite_name, expectations: s.expectations, meta: s.meta ?? {} };
  writeFileSync(path, /\.ya?ml$/i.test(path) ? stringifyYaml(plain) : `${JSON.stringify(plain, null, 2)}\n`);
}
