import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../model/index.ts';
import { closest, ConfigCheck, ConfigFileError, loadConfig, parseConfigText, readConfigFile } from './index.ts';

const fields = z.strictObject({
  schema: z.strictObject({ fields: z.array(z.strictObject({ name: z.string(), required: z.boolean().optional(), type: z.enum(['string', 'long']).optional() })) }),
  owner: z.string(),
});

const issuesOf = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ConfigFileError, String(e));
    assert.ok(e instanceof ConfigError, 'a ConfigError (the CLI exits 2)');
    return e.issues.map((i) => `${i.line ?? '-'}:${i.column ?? '-'} ${i.path.join('.')} ${i.message}`);
  }
  assert.fail('no error');
};

test('YAML: every issue with its line, key path, what is expected and a did-you-mean', () => {
  const doc = parseConfigText('schema:\n  fields:\n    - name: a\n      requird: true\n      type: strng\n    - name: 3\n', 'c.yaml');
  const check = new ConfigCheck(doc);
  assert.equal(check.validate(fields), undefined);
  assert.deepEqual(issuesOf(() => check.finish()), [
    '1:1  missing required key `owner` (a string)',
    '4:7 schema.fields.0.requird unknown key `requird` (did you mean `required`?)',
    '5:13 schema.fields.0.type expected one of string, long, got the string "strng" (did you mean `string`?)',
    '6:13 schema.fields.1.name expected a string, got number 3',
  ]);
});

test('JSON: positions come from the text; syntax errors name the line', () => {
  const doc = parseConfigText('{\n  "a": 1,\n  "b": {"c": "x"}\n}', 'x.json');
  const check = new ConfigCheck(doc);
  check.validate(z.strictObject({ a: z.number(), b: z.union([z.strictObject({ c: z.number() }), z.string()]) }));
  assert.deepEqual(issuesOf(() => check.finish()), ['3:14 b.c expected a number, got the string "x"']);
  assert.deepEqual(issuesOf(() => parseConfigText('{\n  "a": 1,\n}', 'y.json')), ['3:1  not valid JSON: Expected double-quoted property name']);
  assert.match(issuesOf(() => parseConfigText('a: [1, 2\nb: 3\n', 'z.yaml'))[0]!, /^\d+:\d+ +not valid YAML/);
  assert.match(issuesOf(() => parseConfigText('a: 1\na: 2\n', 'd.yaml'))[0]!, /^2:1 +not valid YAML: Map keys must be unique/);
});

test('semantic checks add located issues; the message is file:line:col: key: what', () => {
  const check = new ConfigCheck(parseConfigText('bounds:\n  min: 5\n  max: 1\n', 'b.yaml'));
  const v = check.validate(z.strictObject({ bounds: z.strictObject({ min: z.number(), max: z.number() }) }));
  check.attempt(['bounds', 'max'], () => {
    if (v!.bounds.min > v!.bounds.max) throw new ConfigError('max must be ≥ min');
  });
  assert.throws(() => check.finish(), (e: Error) => e.message === 'b.yaml:3:8: bounds.max: max must be ≥ min');
});

test('loadConfig: unreadable files are ConfigFileErrors naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-config-'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'ok.yaml'), 'port: 80\n');
  assert.deepEqual(loadConfig(join(dir, 'ok.yaml'), z.strictObject({ port: z.number() })), { port: 80 });
  assert.deepEqual(issuesOf(() => readConfigFile(join(dir, 'nope.yaml'))), ['-:-  cannot read: no such file']);
  assert.deepEqual(issuesOf(() => readConfigFile(join(dir, 'sub'))), ['-:-  cannot read: is a directory, not a file']);
});

test('closest: typos, swaps, plurals and case', () => {
  assert.deepEqual(closest('requird', ['name', 'required', 'type']), ['required']);
  assert.deepEqual(closest('allowed_value', ['allowed_values', 'enum']), ['allowed_values']);
  assert.deepEqual(closest('quality_slas', ['quality_sla', 'schema']), ['quality_sla']);
  assert.deepEqual(closest('tpye', ['type', 'name']), ['type']);
  assert.deepEqual(closest('Required', ['required']), ['required']);
  assert.deepEqual(closest('zzzzzz', ['required', 'type']), []);
});
