import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harnessEntry } from './harness-entry.ts';

test('riffle harness: usage errors exit 2 naming what is wrong', async () => {
  const said: string[] = [];
  assert.equal(await harnessEntry([], (l) => said.push(l)), 2);
  assert.match(said.at(-1)!, /missing --id and --provision_endpoint/);
  assert.equal(await harnessEntry(['--id=1', 'stray'], (l) => said.push(l)), 2);
  assert.match(said.at(-1)!, /unexpected argument 'stray'/);
  assert.equal(await harnessEntry(['--pool', '--port=99999'], (l) => said.push(l)), 2);
  assert.match(said.at(-1)!, /--port takes a port number/);
});

test('riffle harness: an unreachable provision endpoint exits 1', async () => {
  const said: string[] = [];
  // Port 1 on loopback: nothing listens there; the Provision API call fails (no hang: a deadline applies).
  const code = await harnessEntry(['--id=w1', '--provision_endpoint=127.0.0.1:1'], (l) => said.push(l));
  assert.equal(code, 1);
  assert.match(said.at(-1)!, /^riffle harness: /);
});
