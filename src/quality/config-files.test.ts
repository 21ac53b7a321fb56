// Issue 10 item 6: every quality configuration file is validated by its schema before any data is read, with the
// file, line, key path, what is expected and a did-you-mean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigFileError } from '../config/index.ts';
import { loadCheckpoint } from './checkpoint.ts';
import { loadContract, parseContract } from './contract.ts';
import { loadSuite, parseSuite } from './suite.ts';

const dir = mkdtempSync(join(tmpdir(), 'riffle-quality-config-'));
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const problems = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ConfigFileError, String(e));
    return e.issues.map((i) => `${i.file.replace(`${dir}/`, '')}:${i.line ?? '-'} ${i.path.join('.')}: ${i.message}`);
  }
  return assert.fail('no error');
};

test('suite files (YAML and JSON): unknown keys, unknown types, kwargs and their checks, each with its line', () => {
  const yaml = write('s.yaml', [
    'expectation_suite_name: orders',
    'expectations:',
    '  - expectation_type: expect_column_values_to_not_be_null',
    '    kwargs: { column: id, mostley: 0.9 }',
    '  - expectation_type: expect_column_values_to_be_betwen',
    '    kwargs: { column: amount }',
    '  - expectation_type: expect_column_values_to_match_regex',
    '    kwargs: { column: code, regex: "(?P<x>a" }',
    '  - expectation_type: expect_column_min_to_be_between',
    '    kwargs: { column: amount, min_value: 5, max_value: 1 }',
    '    metas: {}',
    'meta: {}',
  ].join('\n'));
  assert.deepEqual(problems(() => loadSuite(yaml)), [
    's.yaml:4 expectations.0.kwargs.mostley: unknown key `mostley` (did you mean `mostly`?)',
    's.yaml:5 expectations.1.expectation_type: unknown expectation type `expect_column_values_to_be_betwen` (did you mean `expect_column_values_to_be_between`, `expect_column_values_to_be_in_set`, `expect_column_max_to_be_between`?)',
    's.yaml:8 expectations.2.kwargs: expect_column_values_to_match_regex: \'regex\' Python regex "(?P<x>a": missing ), unterminated subpattern at position 0',
    's.yaml:10 expectations.3.kwargs: expect_column_min_to_be_between: no value can be ≥ 5 and ≤ 1 (min_value must be below max_value)',
    's.yaml:11 expectations.3.metas: unknown key `metas` (did you mean `meta`?)',
  ]);
  const json = write('s.json', '{\n  "expectation_suite_name": "x",\n  "expectations": [\n    {"expectation_type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": "ten"}}\n  ]\n}\n');
  assert.deepEqual(problems(() => loadSuite(json)), ['s.json:4 expectations.0.kwargs.min_value: expected a number, got the string "ten"']);
  assert.throws(() => parseSuite({ expectations: [{ expectation_type: 'expect_column_to_exist', kwargs: { colum: 'x' } }] }), /unknown key `colum` \(did you mean `column`\?\)/);
});

test('checkpoint files: unknown keys and actions, and the suites they name, each in its own file', () => {
  write('data.csv', 'id\n1\n');
  write('bad-suite.yaml', 'expectations:\n  - expectation_type: expect_column_values_to_not_be_null\n    kwargs: { colum: id }\n');
  const cp = write('cp.yaml', [
    'name: daily',
    'validations:',
    '  - data_asset: data.csv',
    '    suite: bad-suite.yaml',
    '  - data_aset: data.csv',
    '    suite: bad-suite.yaml',
    'actions:',
    '  - webhok: { url: "https://example.com" }',
    'run_name_templat: x',
  ].join('\n'));
  assert.deepEqual(problems(() => loadCheckpoint(cp)), [
    'cp.yaml:5 validations.1.data_aset: unknown key `data_aset` (did you mean `data_asset`?)',
    'cp.yaml:8 actions.0.webhok: unknown key `webhok` (did you mean `webhook`?)',
    'cp.yaml:9 run_name_templat: unknown key `run_name_templat` (allowed: name, config_version, class_name, module_name, data_asset, batch_request, suite, expectation_suite, expectation_suite_name, validations, actions, action_list)',
    'bad-suite.yaml:3 expectations.0.kwargs: missing required key `column` (a string)',
    'bad-suite.yaml:3 expectations.0.kwargs.colum: unknown key `colum` (did you mean `column`?)',
  ]);
  const cp2 = write('cp2.yaml', 'name: daily\ndata_asset: data.csv\nsuite: bad-suite.yaml\naction_list:\n  - name: s\n    action: { class_name: StoreValidationResultActon }\n');
  assert.deepEqual(problems(() => loadCheckpoint(cp2)), [
    'cp2.yaml:6 action_list.0.action.class_name: expected one of StoreValidationResultAction, UpdateDataDocsAction, APINotificationAction, got the string "StoreValidationResultActon" (did you mean `StoreValidationResultAction`?)',
    'bad-suite.yaml:3 expectations.0.kwargs: missing required key `column` (a string)',
    'bad-suite.yaml:3 expectations.0.kwargs.colum: unknown key `colum` (did you mean `column`?)',
  ]);
});

test('contracts: seed and DCS layouts, the example is valid, mistakes are located', () => {
  assert.equal(loadContract('examples/contracts/orders.contract.yaml').models[0]!.fields.length, 6);
  const dcs = write('c.yaml', [
    'dataContractSpecification: 1.1.0',
    'id: orders',
    'info: { title: Orders, version: 1.0.0, x-team: checkout }',
    'models:',
    '  orders:',
    '    fields:',
    '      id: { type: lon, required: true }',
    '      amount: { type: "decimal(2,5)", minimum: 5, maximum: 1 }',
    '      tags: { type: "array<strin>" }',
    '      email: { type: string, quality: [{ type: custom, engine: great-expectations, implementation: { expectation_type: expect_column_values_to_match_regex, kwargs: { regx: "@" } } }] }',
  ].join('\n'));
  assert.deepEqual(problems(() => loadContract(dcs)), [
    'c.yaml:7 models.orders.fields.id.type: unknown type `lon` (did you mean `long`?)',
    'c.yaml:8 models.orders.fields.amount.type: decimal(2,5): the scale exceeds the precision',
    'c.yaml:9 models.orders.fields.tags.type: unknown type `strin` (did you mean `string`?)',
  ]);
  const dcs2 = write('c2.yaml', dcsFixed());
  assert.deepEqual(problems(() => loadContract(dcs2)), [
    'c2.yaml:8 models.orders.fields.amount.maximum: the maximum (1) is below the minimum (5): no value can pass',
    'c2.yaml:9 models.orders.fields.email.quality.0.implementation.kwargs: missing required key `regex` (a string)',
    'c2.yaml:9 models.orders.fields.email.quality.0.implementation.kwargs.regx: unknown key `regx` (did you mean `regex`?)',
  ]);
  assert.throws(() => parseContract({ dataset: 'x', schema: { fields: [{ name: 'a', type: 'string', requred: true }] } }), /unknown key `requred` \(did you mean `required`\?\)/);
});

function dcsFixed(): string {
  return [
    'dataContractSpecification: 1.1.0',
    'id: orders',
    'info: { title: Orders, version: 1.0.0 }',
    'models:',
    '  orders:',
    '    fields:',
    '      id: { type: long, required: true }',
    '      amount: { type: "decimal(10,2)", minimum: 5, maximum: 1 }',
    '      email: { type: string, quality: [{ type: custom, engine: great-expectations, implementation: { expectation_type: expect_column_values_to_match_regex, kwargs: { regx: "@" } } }] }',
  ].join('\n');
}

test('contract keys are honoured, not dropped: seed constraints, primary_key, DCS compound primaryKey, unchecked formats reported', async () => {
  const { compileContract } = await import('./contract-compile.ts');
  const seed = parseContract({ dataset: 'x', schema: { fields: [
    { name: 'id', type: 'string', primary_key: true, constraints: { min_length: 2, max_length: 4, pattern: '^[a-z]+$' } },
  ] } });
  const f = seed.models[0]!.fields[0]!;
  assert.deepEqual([f.required, f.unique, f.minLength, f.maxLength, f.pattern], [true, true, 2, 4, '^[a-z]+$']);
  const dcs = parseContract({ dataContractSpecification: '1.1.0', id: 'o', info: { title: 'O', version: '1' }, models: { o: { primaryKey: ['a', 'b'], fields: { a: { type: 'long' }, b: { type: 'string', format: 'date' } } } } });
  const compiled = compileContract(dcs);
  assert.ok(compiled.suite.expectations.some((e) => e.expectation_type === 'expect_compound_columns_to_be_unique' && JSON.stringify(e.kwargs.column_list) === '["a","b"]'));
  assert.deepEqual(compiled.skipped, [{ name: 'b format date', reason: "format 'date' is not checked by Riffle (email, uuid, uri, url are)" }]);
  assert.throws(() => parseContract({ dataContractSpecification: '1.1.0', id: 'o', info: { title: 'O', version: '1' }, models: { o: { primaryKey: ['ab'], fields: { a: { type: 'long' } } } } }), /primaryKey\[0\]: `ab` is not a field of this model \(did you mean `a`\?\)/);
});
