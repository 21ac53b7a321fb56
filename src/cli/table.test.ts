import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatNumber, formatTable } from './table.ts';

describe('formatNumber', () => {
  it('groups thousands and keeps at most three decimals', () => {
    assert.equal(formatNumber(0), '0');
    assert.equal(formatNumber(1234567), '1,234,567');
    assert.equal(formatNumber(-1234), '-1,234');
    assert.equal(formatNumber(1234.56789), '1,234.568');
    assert.equal(formatNumber(Infinity), 'Infinity');
  });
});

describe('formatTable', () => {
  it('aligns text left and numbers right, header included', () => {
    const out = formatTable(
      ['step', 'kind', 'out'],
      [
        ['Read', 'read', 1200],
        ['Sum', 'combinePerKey', 3],
      ],
    );
    assert.equal(out, ['step  kind             out', 'Read  read           1,200', 'Sum   combinePerKey      3'].join('\n'));
  });

  it('treats a column with any text as text, and empty cells as blank', () => {
    const out = formatTable(
      ['a', 'b'],
      [
        [1, 'x'],
        ['two', null],
        [3, undefined],
      ],
    );
    assert.equal(out, ['a    b', '1    x', 'two', '3'].join('\n'));
  });

  it('prints only the header when there are no rows, and flattens newlines', () => {
    assert.equal(formatTable(['name', 'value'], []), 'name  value');
    assert.equal(formatTable(['reason'], [['line one\n  line two']]), 'reason\nline one line two');
  });
});
