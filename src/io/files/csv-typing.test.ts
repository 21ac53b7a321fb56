import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KindInference, NA_STRINGS, booleanOf, cellKind, inferColumnKind, isMissing, numberOf } from './csv-typing.ts';

test('csv typing: pandas default NA strings are missing (case as written), other text is not', () => {
  for (const na of ['', 'NaN', 'N/A', 'NA', 'null', 'NULL', 'nan', 'n/a', '#N/A', '<NA>', 'None', '-NaN', '-nan', '#NA', '#N/A N/A', '1.#IND', '-1.#IND', '1.#QNAN', '-1.#QNAN']) {
    assert.ok(isMissing(na), na);
    assert.ok(NA_STRINGS.has(na), na);
  }
  for (const text of ['none', 'Null', 'na', ' ', '0', 'NAN', 'N/a']) assert.equal(isMissing(text), false, text);
});

test('csv typing: inf/Infinity are floats, leading-zero integers are text, decimals and exponents are numbers', () => {
  assert.equal(cellKind('inf'), 'float');
  assert.equal(cellKind('-Infinity'), 'float');
  assert.equal(cellKind('+INF'), 'float');
  assert.equal(numberOf('-inf'), -Infinity);
  assert.equal(numberOf('Infinity'), Infinity);
  assert.equal(cellKind('007'), 'string');
  assert.equal(cellKind('01234'), 'string');
  assert.equal(cellKind('-01'), 'string');
  assert.equal(cellKind('0'), 'integer');
  assert.equal(cellKind('-0'), 'integer');
  assert.equal(cellKind('0.5'), 'float');
  assert.equal(cellKind('1e3'), 'float');
  assert.equal(cellKind(' 42 '), 'integer');
  assert.equal(numberOf('007'), 7); // a column declared numeric reads leading zeros as numbers
  assert.equal(numberOf('12abc'), undefined);
  assert.equal(cellKind('True'), 'boolean');
  assert.equal(booleanOf('FALSE'), false);
  assert.equal(cellKind('2024-02-29'), 'date');
  assert.equal(cellKind('2024-02-29T10:00:00Z'), 'timestamp');
  assert.equal(cellKind('NA'), 'missing');
});

test('csv typing: a column folds its cells (a score column with NaN, N/A, null and inf is a number column)', () => {
  assert.equal(inferColumnKind(['1.5', 'NaN', 'N/A', 'null', 'inf', '', '-Infinity', '3']), 'float');
  assert.equal(inferColumnKind(['1', '2', 'NA']), 'integer');
  assert.equal(inferColumnKind(['1', '007']), 'string');
  assert.equal(inferColumnKind(['true', 'False', 'NULL']), 'boolean');
  assert.equal(inferColumnKind(['2024-01-01', '2024-01-01T00:00:00']), 'string');
  assert.equal(inferColumnKind(['NA', '']), 'string');
  const k = new KindInference();
  for (const c of ['1', '99999999999999999999']) k.add(c);
  assert.equal(k.kind, 'integer');
  assert.equal(k.fitsLong, false);
  assert.equal(k.cellKind, 'number');
});
