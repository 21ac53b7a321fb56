import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findProjectConfig, loadProjectConfig, parseCount, parseSize } from './project-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'riffle-project-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('parseSize', () => {
  it('reads k, m, g, t (powers of 1024), with or without B/iB, and bytes', () => {
    assert.equal(parseSize('512k', 'x'), 512 * 1024);
    assert.equal(parseSize('64m', 'x'), 64 * 1024 ** 2);
    assert.equal(parseSize('1g', 'x'), 1024 ** 3);
    assert.equal(parseSize('1.5GB', 'x'), 1.5 * 1024 ** 3);
    assert.equal(parseSize('2GiB', 'x'), 2 * 1024 ** 3);
    assert.equal(parseSize('4096', 'x'), 4096);
    assert.equal(parseSize(4096, 'x'), 4096);
  });
  it('refuses anything else, naming what it was for', () => {
    for (const bad of ['', 'lots', '1x', '-1m', '0', '1 g b']) assert.throws(() => parseSize(bad, '--memory'), /--memory must be a size such as 512k, 64m or 1g/, bad);
    assert.throws(() => parseCount('0', '--workers'), /from 1 to 1024, got '0'/);
    assert.throws(() => parseCount('two', 'RIFFLE_WORKERS'), /RIFFLE_WORKERS must be a whole number/);
  });
});

describe('loadProjectConfig', () => {
  const project = join(dir, 'p');
  mkdirSync(join(project, 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(project, 'riffle.config.json'), JSON.stringify({ store: 'meta', dags: '/abs/dags', workers: 2, memory: '1g', serverUrl: 'http://localhost:8080', deadLetterDir: 'dl' }));

  it('finds the file upward from the working directory, and none where there is none', () => {
    assert.equal(findProjectConfig(join(project, 'sub', 'deeper')), join(project, 'riffle.config.json'));
    assert.equal(findProjectConfig(dir), undefined);
  });

  it('resolves relative paths from the file, and the environment wins over the file', async () => {
    const fromFile = await loadProjectConfig({ cwd: join(project, 'sub'), env: {} });
    assert.deepEqual(fromFile.values, { store: join(project, 'meta'), dags: '/abs/dags', workers: 2, memoryBytes: 1024 ** 3, serverUrl: 'http://localhost:8080', deadLetterDir: join(project, 'dl') });
    assert.equal(fromFile.sources.workers, join(project, 'riffle.config.json'));
    const env = await loadProjectConfig({ cwd: join(project, 'sub'), env: { RIFFLE_WORKERS: '8', RIFFLE_ORCHESTRATOR_STORE: 'postgres://u@h/db', RIFFLE_MEMORY: '256m', RIFFLE_SERVER_URL: 'https://riffle.example' } });
    assert.equal(env.values.workers, 8);
    assert.equal(env.values.store, 'postgres://u@h/db');
    assert.equal(env.values.memoryBytes, 256 * 1024 ** 2);
    assert.equal(env.values.serverUrl, 'https://riffle.example');
    assert.equal(env.sources.store, '$RIFFLE_ORCHESTRATOR_STORE');
    const both = await loadProjectConfig({ cwd: project, env: { RIFFLE_STORE: 'a', RIFFLE_ORCHESTRATOR_STORE: 'b' } });
    assert.equal(both.values.store, 'a', 'RIFFLE_STORE before its older name');
    await assert.rejects(loadProjectConfig({ cwd: project, env: { RIFFLE_SERVER_URL: 'localhost' } }), /RIFFLE_SERVER_URL must be an http\(s\) URL/);
  });

  it('reports every problem of a bad file with its line and key', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'workres: 2\nworkers: 0\nserverUrl: ftp://x\n');
    await assert.rejects(loadProjectConfig({ cwd: dir, env: {}, file: bad }), (e: Error) => {
      assert.match(e.message, /bad\.yaml:1:1: workres: unknown key `workres` \(did you mean `workers`\?\)/);
      assert.match(e.message, /bad\.yaml:2:10: workers: /);
      assert.match(e.message, /bad\.yaml:3:12: serverUrl: /);
      return true;
    });
    await assert.rejects(loadProjectConfig({ cwd: dir, env: {}, file: 'missing.yaml' }), /missing\.yaml: cannot read: no such file/);
  });
});
