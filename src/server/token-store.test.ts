// Tokens: only hashes stored, roles, revocation, the admin seed added once, and a running store that sees tokens
// another process appended (the file is read again when it changed).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { allows } from './roles.ts';
import { createToken, hashToken, revokeToken, TokenStore } from './token-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'riffle-tokens-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('token store', () => {
  it('orders the roles', () => {
    assert.deepEqual([allows('admin', 'viewer'), allows('developer', 'operator'), allows('operator', 'developer'), allows('viewer', 'viewer')], [true, true, false, true]);
  });

  it('authenticates tokens appended after it was opened, and refuses revoked and unknown ones', () => {
    const file = join(dir, 'a.jsonl');
    const store = new TokenStore(file);
    assert.equal(store.authenticate('riffle_nothing'), undefined);
    const { token, record } = createToken(file, 'operator', 'ci'); // as another process would
    assert.equal(store.authenticate(token)?.id, record.id, 'a miss reads the file again');
    assert.equal(store.authenticate(token)?.role, 'operator');
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes(token) && text.includes(hashToken(token)), 'only the hash is stored');
    assert.equal(revokeToken(file, record.id), true);
    assert.equal(revokeToken(file, record.id), false, 'revoked already');
    assert.equal(revokeToken(file, 'tok_nope'), false);
    assert.equal(store.list().find((t) => t.id === record.id)?.revokedAt !== null, true);
    assert.equal(store.authenticate(token), undefined);
  });

  it('adds the admin seed once, whatever the number of starts', () => {
    const file = join(dir, 'b.jsonl');
    const first = new TokenStore(file).seedAdmin('s3cret-admin');
    const second = new TokenStore(file).seedAdmin('s3cret-admin');
    assert.deepEqual([first.id, first.role], [second.id, 'admin']);
    assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 1);
    assert.equal(new TokenStore(file).authenticate('s3cret-admin')?.role, 'admin');
  });
});
