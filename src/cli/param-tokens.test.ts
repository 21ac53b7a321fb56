import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { camelCase, parseParamTokens } from './param-tokens.ts';

describe('parseParamTokens', () => {
  it('reads positionals and --name=value', () => {
    assert.deepEqual(parseParamTokens(['run', 'p.ts', '--n=3', '--name=a=b', '--empty=']), {
      positionals: ['run', 'p.ts'],
      flags: { n: '3', name: 'a=b', empty: '' },
    });
  });

  it('takes the next token as the value of --name unless it is a flag or the name is boolean', () => {
    assert.deepEqual(parseParamTokens(['--input', 'in.csv', '--json', '--limit', '5']).flags, { input: 'in.csv', json: true, limit: '5' });
    assert.deepEqual(parseParamTokens(['--json', 'p.ts'], { booleans: ['json'] }), { positionals: ['p.ts'], flags: { json: true } });
    assert.deepEqual(parseParamTokens(['--json', 'p.ts']), { positionals: [], flags: { json: 'p.ts' } });
    assert.deepEqual(parseParamTokens(['--dry', 'false', 'p.ts'], { booleans: new Set(['dry']) }), { positionals: ['p.ts'], flags: { dry: 'false' } });
  });

  it('reads --flag as true and --no-flag as false', () => {
    assert.deepEqual(parseParamTokens(['--verbose', '--no-progress']).flags, { verbose: true, progress: false });
  });

  it('lets the last occurrence win', () => {
    assert.deepEqual(parseParamTokens(['--n=1', '--n', '2']).flags, { n: '2' });
  });

  it('treats everything after -- as positional, and a lone - as positional', () => {
    assert.deepEqual(parseParamTokens(['a', '-', '--', '--x=1', 'b']), { positionals: ['a', '-', '--x=1', 'b'], flags: {} });
  });

  it('keeps negative numbers as values', () => {
    assert.deepEqual(parseParamTokens(['--offset', '-3']).flags, { offset: '-3' });
  });
});

describe('camelCase', () => {
  it('turns kebab-case into camelCase', () => {
    assert.equal(camelCase('output-dir'), 'outputDir');
    assert.equal(camelCase('max-2-items'), 'max2Items');
    assert.equal(camelCase('plain'), 'plain');
  });
});
