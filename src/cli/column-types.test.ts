import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asCellKinds, declaredColumnTypes } from './column-types.ts';

test('--columns and --schema: types with aliases, JSON or YAML files, unknown types and conflicts rejected naming the key', () => {
  const files: Record<string, string> = {
    'a.json': '{ "id": "string", "amount": "number" }',
    'b.yaml': 'columns:\n  id: string\n  at: timestamp\n',
    'bad.yaml': 'id: strng\n',
    'list.yaml': '- id\n',
    'broken.json': '{ id: ',
  };
  const read = (p: string) => {
    if (!(p in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    return files[p]!;
  };
  assert.equal(declaredColumnTypes({}, read), undefined);
  assert.deepEqual([...declaredColumnTypes({ columns: 'id:string, amount:double,n:int' }, read)!], [['id', 'string'], ['amount', 'double'], ['n', 'integer']]);
  assert.deepEqual([...declaredColumnTypes({ schema: 'a.json', columns: 'id:str' }, read)!], [['id', 'string'], ['amount', 'double']]);
  assert.deepEqual([...declaredColumnTypes({ schema: 'b.yaml' }, read)!], [['id', 'string'], ['at', 'timestamp']]);
  assert.throws(() => declaredColumnTypes({ schema: 'bad.yaml' }, read), /--schema bad\.yaml: column 'id' has unknown type "strng"/);
  assert.throws(() => declaredColumnTypes({ columns: 'id:strng' }, read), /--columns: column 'id' has unknown type "strng"/);
  assert.throws(() => declaredColumnTypes({ columns: 'id' }, read), /'id' is not name:type/);
  assert.throws(() => declaredColumnTypes({ schema: 'a.json', columns: 'id:long' }, read), /column 'id' is declared string and long/);
  assert.throws(() => declaredColumnTypes({ schema: 'list.yaml' }, read), /expected a mapping of column → type/);
  assert.throws(() => declaredColumnTypes({ schema: 'broken.json' }, read), /not valid JSON/);
  assert.throws(() => declaredColumnTypes({ schema: 'missing.yaml' }, read), /cannot read --schema missing\.yaml: no such file/);
  assert.deepEqual(asCellKinds(declaredColumnTypes({ columns: 'a:long,b:boolean,c:date,d:string' }, read)!), { a: 'number', b: 'boolean', c: 'string', d: 'string' });
});
