import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, StepFailedError } from '../model/index.ts';
import { describeError, errorDocument, exitCodeOf, isRiffleError, isSystemError, systemErrorToRiffle, UsageError } from './cli-error.ts';

describe('exitCodeOf', () => {
  it('is 2 for usage and configuration errors, 1 for anything else', () => {
    assert.equal(exitCodeOf(new UsageError('x')), 2);
    assert.equal(exitCodeOf(new ConfigError('x')), 2);
    assert.equal(exitCodeOf(new StepFailedError('S', 1, new Error('boom'))), 1);
    assert.equal(exitCodeOf(new TypeError('x')), 1);
    assert.equal(exitCodeOf('a string'), 1);
  });
});

describe('errors of another copy of Riffle (a user\'s installed package next to the CLI\'s)', () => {
  // Classes of their own, as another copy's are: only the brand, the code and the class names match ours.
  const BRAND: unique symbol = Symbol.for('riffle.error');
  class RiffleError extends Error {
    readonly [BRAND] = true;
    constructor(readonly code: string, message: string, readonly hint?: string, readonly domain = 'user') {
      super(hint ? `${message}\n  hint: ${hint}` : message);
    }
  }
  class ConfigError extends RiffleError {}
  class SuiteError extends ConfigError {}

  it('are recognised by brand and code, never by instanceof', () => {
    assert.equal(isRiffleError(new RiffleError('STEP_FAILED', 'boom')), true);
    assert.equal(exitCodeOf(new RiffleError('STEP_FAILED', 'boom')), 1);
    assert.equal(exitCodeOf(new RiffleError('USAGE', 'bad')), 2);
    assert.equal(exitCodeOf(new SuiteError('QUALITY_SUITE_INVALID', 'bad suite')), 2, 'a ConfigError subclass of that copy');
    assert.equal(describeError(new RiffleError('X', 'it broke', 'do this'), false), 'error: it broke\n  hint: do this');
    assert.deepEqual(errorDocument(new RiffleError('X', 'it broke', 'do this')), { error: { code: 'X', message: 'it broke', hint: 'do this' } });
  });

  it('an older copy without the brand counts by its shape (a string code and a known domain)', () => {
    const old = Object.assign(new Error('old'), { code: 'PIPELINE_INVALID', domain: 'user' });
    assert.equal(isRiffleError(old), true);
    assert.equal(isRiffleError(Object.assign(new Error('x'), { code: 'ENOENT' })), false, 'a Node error is not one');
    assert.equal(errorDocument(new TypeError('x')).error.code, 'UNEXPECTED');
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

  it('calls any other error internal, without a stack unless debugging', () => {
    const text = describeError(new TypeError('x is undefined'), false);
    assert.equal(text.split('\n')[0], 'error: internal error: TypeError: x is undefined');
    assert.match(text, /RIFFLE_DEBUG=1/);
    assert.doesNotMatch(text, /^\s+at /m);
    assert.match(describeError(new TypeError('x is undefined'), true), /^error: internal error: TypeError: x is undefined\n\s+at /);
    assert.match(describeError(42, false), /^error: internal error: 42/);
  });
});

describe('Node system errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-cli-error-'));
  writeFileSync(join(dir, 'data.csv'), 'a\n1\n');
  mkdirSync(join(dir, 'folder'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const caught = (f: () => unknown): unknown => {
    try {
      f();
    } catch (e) {
      return e;
    }
    assert.fail('expected a throw');
  };

  it('ENOTDIR names the part of the path that is a file', () => {
    const e = caught(() => readdirSync(join(dir, 'data.csv', '_delta_log')));
    assert.ok(isSystemError(e));
    const text = describeError(e, false, dir);
    assert.equal(text.split('\n')[0], "error: cannot list 'data.csv/_delta_log': 'data.csv' is a file, not a directory");
    assert.match(text, /hint: give the directory this command expects, not the file 'data.csv'/);
    assert.equal(exitCodeOf(e), 1);
  });

  it('EISDIR and ENOENT name the path and say what to do', () => {
    // read(2) on a directory has no path: the message still says what is wrong and what to do.
    const readDir = describeError(caught(() => readFileSync(join(dir, 'folder'))), false, dir);
    assert.match(readDir, /^error: cannot read: it is a directory, not a file\n {2}hint: a directory was given where a file is expected/);
    const opened = describeError(caught(() => writeFileSync(join(dir, 'folder'), 'x')), false, dir);
    assert.match(opened, /^error: cannot open 'folder': it is a directory, not a file\n {2}hint: 'folder' is a directory: give a file inside it/);
    const missing = describeError(caught(() => readFileSync(join(dir, 'nope.csv'))), false, dir);
    assert.match(missing, /^error: cannot open 'nope.csv': no such file or directory\n {2}hint: check the path/);
    const outside = describeError(caught(() => readFileSync('/nonexistent-riffle/x')), false, dir);
    assert.match(outside, /^error: cannot open '\/nonexistent-riffle\/x'/);
  });

  it('maps to a RiffleError with an IO_ code and keeps the original as its cause', () => {
    const e = caught(() => readFileSync(join(dir, 'nope.csv'))) as Error;
    const mapped = systemErrorToRiffle(e as never, dir);
    assert.equal(mapped.code, 'IO_ENOENT');
    assert.equal(mapped.domain, 'external');
    assert.equal(mapped.cause, e);
    assert.equal(isSystemError(new Error('plain')), false);
  });
});
