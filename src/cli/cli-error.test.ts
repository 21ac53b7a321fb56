import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, StepFailedError } from '../model/index.ts';
import { describeError, exitCodeOf, UsageError } from './cli-error.ts';

describe('exitCodeOf', () => {
  it('is 2 for usage and configuration errors, 1 for anything else', () => {
    assert.equal(exitCodeOf(new UsageError('x')), 2);
    assert.equal(exitCodeOf(new ConfigError('x')), 2);
    assert.equal(exitCodeOf(new StepFailedError('S', 1, new Error('boom'))), 1);
    assert.equal(exitCodeOf(new TypeError('x')), 1);
    assert.equal(exitCodeOf('a string'), 1);
  });
});

describe('describeError', () => {
  it('prints a Riffle error as its message and hint, without a stack', () => {
    assert.equal(describeError(new ConfigError('missing parameter --x', { hint: 'pass --x' }), false), 'error: missing parameter --x\n  hint: pass --x');
  });

  it('adds the stack of a Riffle error, and of its cause, when debugging', () => {
    const text = describeError(new StepFailedError('Parse', 'line', new Error('bad')), true);
    assert.match(text, /^error: step 'Parse' failed on element "line": bad\n {2}hint: .*\n {2}caused by: Error: bad\n\s+at /);
  });

  it('keeps the stack of any other error: it is a bug somewhere', () => {
    const text = describeError(new TypeError('x is undefined'), false);
    assert.match(text, /^error: TypeError: x is undefined\n\s+at /);
    assert.equal(describeError(42, false), 'error: 42');
  });
});
