// Beam's standard coder vectors under node:test: every example decodes, and re-encodes to its bytes unless the coder
// is marked non-deterministic. The file lives in the shared conformance checkout; without it the test says so and skips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { standardCodersFile } from '../../scripts/conformance.ts';
import { runStandardCoders } from './standard-coders.ts';

const present = existsSync(standardCodersFile);

test('Beam standard_coders.yaml: every example decodes and re-encodes, nested and outer', { skip: present ? false : `${standardCodersFile} not found (Beam's coder vectors live in the shared conformance checkout)` }, () => {
  const results = runStandardCoders(standardCodersFile);
  const failures = results.filter((r) => r.status === 'fail').map((r) => `${r.name} ${r.check}: ${r.reason}`);
  assert.deepEqual(failures, []);
  assert.ok(results.filter((r) => r.status === 'pass' && r.check === 'decode').length >= 200, 'the file holds at least 200 examples×contexts');
  // Only coders the file marks non-deterministic skip their re-encoding.
  for (const r of results.filter((x) => x.status === 'skip')) assert.match(r.reason ?? '', /non-deterministic/);
});
