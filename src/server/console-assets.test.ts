// The console's static serving: the built console when console/dist has an index.html, the fallback page that says
// how to build it otherwise, assets with their types, and no path out of the directory (.., encoded, symlinks,
// hidden files, nested paths).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Hono } from 'hono';
import { defaultConsoleDir, serveConsole } from './console-assets.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-console-assets-'));
after(() => rmSync(root, { recursive: true, force: true }));

function appOn(dir: string): Hono {
  const app = new Hono();
  serveConsole(app, dir);
  return app;
}

describe('console static serving', () => {
  it('serves a page that says how to build the console when it is not built', async () => {
    const res = await appOn(join(root, 'nothing-here')).request('/');
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /not built[^]*npm run build/);
    assert.match(text, /fetch\('\/api\/jobs'/, 'the fallback still lists the jobs');
  });

  it('serves the built index.html and its assets with their types', async () => {
    const dist = join(root, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Riffle console</title><script src="./assets/index-abc.js"></script>');
    writeFileSync(join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(join(dist, 'assets', 'index-abc.css'), 'body{}');
    const app = appOn(dist);
    let res = await app.request('/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await res.text(), /Riffle console/);
    res = await app.request('/assets/index-abc.js');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/javascript/);
    assert.match(res.headers.get('cache-control') ?? '', /immutable/);
    assert.equal(await res.text(), 'console.log(1)');
    res = await app.request('/assets/index-abc.css');
    assert.match(res.headers.get('content-type') ?? '', /text\/css/);
    // a rebuilt file is read again (size/mtime changed)
    writeFileSync(join(dist, 'assets', 'index-abc.js'), 'console.log(22)');
    assert.equal(await (await app.request('/assets/index-abc.js')).text(), 'console.log(22)');
  });

  it('never serves a file outside the directory', async () => {
    const dist = join(root, 'dist2');
    mkdirSync(join(dist, 'assets', 'sub'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), 'ok');
    writeFileSync(join(root, 'secret.txt'), 'CONTENT-OUTSIDE');
    writeFileSync(join(dist, 'assets', '.hidden'), 'CONTENT-HIDDEN');
    writeFileSync(join(dist, 'assets', 'sub', 'x.js'), 'CONTENT-NESTED');
    symlinkSync(join(root, 'secret.txt'), join(dist, 'assets', 'link.js'));
    const app = appOn(dist);
    for (const path of ['/assets/..%2F..%2Fsecret.txt', '/assets/%2e%2e', '/assets/..', '/assets/.hidden', '/assets/link.js', '/assets/sub/x.js', '/assets/sub%2Fx.js', '/assets/nope.js', '/assets/%00.js']) {
      const res = await app.request(path);
      const text = await res.text();
      // '/assets/..' and its encoded form are resolved to '/' by the URL parser (the index page): never a file outside
      if (!/^\/assets\/(\.\.|%2e%2e)$/.test(path)) assert.equal(res.status, 404, `${path}: ${res.status} ${text}`);
      assert.ok(!text.includes('CONTENT-'), `${path}: ${text}`);
    }
  });

  it('finds console/dist at the package root from the server sources', () => {
    assert.match(defaultConsoleDir(), /[/\\]console[/\\]dist[/\\]?$/);
    assert.ok(!defaultConsoleDir().includes(`${join('src', 'console')}`));
  });
});
