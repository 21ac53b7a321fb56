// The web console in Debian's chromium (playwright-core), against a riffle server on a temporary directory with an
// admin token: log in (a wrong token refused, a 401 sends back to the login), submit a job from the console (a
// validation error shown with its key, then a run watched to `succeeded`), the live graph of a long job and its
// cancel button, a DAG triggered from the console and a task cleared in its grid, the Gantt of the run, lineage,
// and 100 jobs and a 1,000-task DAG rendered within bounds. A screenshot of each page goes to
// $RIFFLE_CONSOLE_ARTIFACTS (default a temporary folder, printed). Runs under RIFFLE_INTEGRATION=1 (the console tier,
// .ci/tiers/console.sh, which installs chromium and builds the console); skipped otherwise.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ADMIN, call, makeProject, startTestServer, waitFor } from '../../src/server/fixtures/test-server.ts';
import type { RiffleServer } from '../../src/server/index.ts';
import { launchChromium, type Browser } from './browser.ts';
import { seedBigDag, seedDemoRun, seedJobs } from './seed.ts';

const ROOT = join(import.meta.dirname, '../..');
const skip = process.env.RIFFLE_INTEGRATION === '1' ? false : 'runs in the console tier (.ci/tiers/console.sh, RIFFLE_INTEGRATION=1)';
const ARTIFACTS = process.env.RIFFLE_CONSOLE_ARTIFACTS ?? mkdtempSync(join(tmpdir(), 'riffle-console-artifacts-'));
const JOBS_BOUND_MS = Number(process.env.RIFFLE_CONSOLE_JOBS_BOUND_MS ?? 3000);
// The grid's time is mostly the server's (a request per run, each reading the store): the whole is bounded loosely,
// the browser's part (from the last answer to the drawn grid) tightly.
const GRID_BOUND_MS = Number(process.env.RIFFLE_CONSOLE_GRID_BOUND_MS ?? 20_000);
const GRID_RENDER_BOUND_MS = 2000;
const DRAW_BOUND_MS = 50;
const BIG_TASKS = 1000;
const BIG_RUNS = 10;

/** The browser globals the page functions use (this file is type-checked without the DOM library). */
interface Win {
  location: { hash: string };
  sessionStorage: { setItem(k: string, v: string): void };
  document: { querySelectorAll(s: string): { length: number }; querySelector(s: string): { textContent: string | null; scrollTop: number } | null };
}

describe('the web console in chromium', { skip, timeout: 600_000 }, () => {
  let server: RiffleServer;
  let browser: Browser;
  let page: Page;
  let cleanup = () => undefined as void;
  const figures: string[] = [];
  const shot = async (name: string) => {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });
  };
  const go = async (hash: string) => {
    await page.evaluate((h) => { (globalThis as unknown as Win).location.hash = h; }, hash);
  };

  before(async () => {
    assert.ok(existsSync(join(ROOT, 'console/dist/index.html')), 'the console is built (npm run build:console)');
    mkdirSync(ARTIFACTS, { recursive: true });
    const p = makeProject('console');
    cleanup = p.cleanup;
    // A DAG file for the 1,000-task DAG, so that the DAG folder the server's changes load knows it too.
    writeFileSync(join(p.project, 'dags', 'big.ts'), `import { dag } from ${JSON.stringify(new URL('../../src/orchestrator/index.ts', import.meta.url).href)};
export const big = dag({ id: 'big', schedule: '@daily', startDate: '2026-11-01' });
for (let t = 0; t < ${BIG_TASKS}; t++) big.task('chain_' + (t % 10) + '.step_' + String(Math.floor(t / 10)).padStart(3, '0'), () => t);
`);
    seedJobs(p.dir, 100);
    await seedBigDag(join(p.dir, 'orchestrator'), 'big', BIG_TASKS, BIG_RUNS);
    server = await startTestServer(p.project, p.dir);
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    cleanup();
    console.log(`console screenshots: ${ARTIFACTS}`);
    for (const f of figures) console.log(`console figure: ${f}`);
  });

  it('serves the built console at /, refuses a wrong token and signs in with the admin token', async () => {
    const res = await fetch(server.url);
    assert.match(await res.text(), /<title>Riffle console<\/title>/);
    await page.goto(server.url);
    await page.waitForSelector('input[name=token]');
    await shot('01-login');
    await page.fill('input[name=token]', 'not-a-token');
    await page.click('button[type=submit]');
    await page.waitForSelector('.error >> text=UNAUTHENTICATED');
    await page.fill('input[name=token]', ADMIN);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=who] >> text=admin');
  });

  it('lists 100 jobs within the bound', async () => {
    const started = Date.now();
    await page.reload();
    await page.waitForFunction(() => (globalThis as unknown as Win).document.querySelectorAll('[data-testid=job-table] tbody tr[data-job]').length >= 100);
    const ms = Date.now() - started;
    figures.push(`job list with 100 jobs: ${ms} ms from reload to rendered rows`);
    assert.ok(ms < JOBS_BOUND_MS, `the job list took ${ms} ms (bound ${JOBS_BOUND_MS} ms)`);
    assert.equal(await page.locator('[data-testid=job-table] tbody tr[data-job]').count(), 100);
    await shot('02-jobs');
  });

  it('submits a job from the console: a missing parameter is shown with its key, then the job runs to success', async () => {
    await page.click('button:has-text("Submit a job")');
    await page.fill('input[name=pipeline]', 'quick.ts');
    await page.click('button:has-text("Load parameters")');
    await page.waitForSelector('input[name=param-output]');
    await page.fill('input[name=param-n]', '25');
    await page.click('button:has-text("Run")');
    const key = await page.waitForSelector('.error code[data-key]');
    assert.match((await key.getAttribute('data-key')) ?? '', /output/);
    await shot('03-submit-error');
    const out = join(tmpdir(), `riffle-console-out-${process.pid}`);
    await page.fill('input[name=param-output]', out);
    await page.click('button:has-text("Run")');
    await page.waitForURL(/#\/jobs\/job-/);
    await page.waitForSelector('.page-header [data-state=succeeded]', { timeout: 60_000 });
    await page.waitForSelector('[data-testid=flow-graph][data-ready=yes] .react-flow__node', { timeout: 30_000 });
    const steps = await page.locator('.react-flow__node').count();
    assert.ok(steps >= 3, `the graph shows the job's steps (${steps})`);
    await page.locator('.react-flow__node', { hasText: 'Double' }).first().click();
    await page.waitForSelector('[data-testid=step-panel] >> text=elements out');
    const panel = await page.textContent('[data-testid=step-panel]');
    assert.match(panel ?? '', /25/, 'the step panel shows the step\'s counts');
    await page.waitForSelector('h2:has-text("Log") >> text=complete');
    await shot('04-job-succeeded');
  });

  it('shows a long job live and cancels it with the button', async () => {
    const r = await call<{ id: string }>(server, 'POST', '/api/jobs', { body: { pipeline: 'slow.ts', params: { elements: 200000 } } });
    assert.equal(r.status, 201, r.text);
    await go(`#/jobs/${r.body.id}`);
    await page.waitForSelector('.page-header [data-state=running]');
    await page.waitForSelector('[data-testid=flow-graph][data-ready=yes] .react-flow__node', { timeout: 30_000 });
    // the server's live per-step figures colour the steps by throughput; two polls give the job's rate
    await page.waitForSelector('.react-flow__node.step-throughput', { timeout: 20_000 });
    await page.waitForSelector('.chart .u-title >> text=job throughput', { timeout: 20_000 });
    await page.locator('.react-flow__node', { hasText: 'Busy' }).first().click();
    await page.waitForSelector('[data-testid=step-panel] .chart .u-title >> text=throughput', { timeout: 20_000 });
    await shot('05-job-running');
    await page.click('button:has-text("Cancel")');
    await page.waitForSelector('.page-header [data-state=cancelled]', { timeout: 60_000 });
    assert.equal((await call<{ state: string }>(server, 'GET', `/api/jobs/${r.body.id}`)).body.state, 'cancelled');
  });

  it('triggers a DAG run from the console, then clears a task in the grid', async () => {
    await go('#/dags');
    await page.waitForSelector('[data-testid=dag-table] >> text=big');
    await shot('06-dags');
    // The fixture DAG is in the store once a command has loaded it: trigger through the API, then from the console.
    const first = await call<{ run: { runId: string } }>(server, 'POST', '/api/dags/demo/trigger', { body: { logicalDate: '2026-12-01' } });
    assert.equal(first.status, 201, first.text);
    await go('#/dags/demo');
    await page.waitForSelector('[data-testid=dag-grid]');
    await page.click('button:has-text("Trigger run")');
    const runs = await waitFor(async () => {
      const l = await call<{ runs: Array<{ runId: string }> }>(server, 'GET', '/api/dags/demo/runs');
      return l.body.runs.length === 2 ? l.body.runs : undefined;
    }, 30_000, 'the run triggered from the console');
    const runId = first.body.run.runId;
    await seedDemoRun(join(server.dir, 'orchestrator'), runId);
    await page.waitForSelector(`[data-testid=dag-grid][data-rows="2"][data-cols="${runs.length}"]`, { timeout: 15_000 });
    // The seeded run is the older one: column 0; task 'a' is row 0.
    const canvas = page.locator('[data-testid=dag-grid] canvas');
    const box = (await canvas.boundingBox())!;
    await page.mouse.click(box.x + 260 + 9, box.y + 64 + 10);
    await page.waitForSelector('[data-testid=task-panel] >> text=a: done');
    await shot('07-dag-grid-task');
    await page.click('button[data-action=clear]');
    await page.waitForSelector('[data-testid=task-action-done]', { timeout: 60_000 });
    const ti = await call<{ tasks: Array<{ taskId: string; state: string }> }>(server, 'GET', `/api/dags/demo/runs/${encodeURIComponent(runId)}/tasks`);
    const a = ti.body.tasks.find((t) => t.taskId === 'a');
    assert.notEqual(a?.state, 'success', `task a was cleared (now ${a?.state})`);
    await shot('08-dag-grid-cleared');
    await go(`#/dags/demo/runs/${encodeURIComponent(runId)}`);
    await page.waitForSelector('[data-testid=gantt] rect');
    await shot('09-gantt');
  });

  it('draws the grid of a 1,000-task DAG within the bound, and scrolls it cheaply', async () => {
    await go('#/jobs');
    await page.waitForSelector('[data-testid=job-table]');
    const started = Date.now();
    await go('#/dags/big');
    await page.waitForSelector(`[data-testid=dag-grid][data-rows="${BIG_TASKS}"][data-cols="${BIG_RUNS}"] canvas[data-draw-ms]`, { timeout: 60_000 });
    const ms = Date.now() - started;
    const loadMs = Number(await page.getAttribute('[data-testid=grid-panel]', 'data-load-ms'));
    const draw = Number(await page.getAttribute('[data-testid=dag-grid] canvas', 'data-draw-ms'));
    await shot('10-dag-grid-1000');
    await page.evaluate(() => { (globalThis as unknown as Win).document.querySelector('[data-testid=dag-grid]')!.scrollTop = 12_000; });
    await page.waitForTimeout(100);
    const scrolledDraw = Number(await page.getAttribute('[data-testid=dag-grid] canvas', 'data-draw-ms'));
    await shot('11-dag-grid-1000-scrolled');
    figures.push(`1,000-task DAG grid (${BIG_RUNS} runs): ${ms} ms from navigation to drawn, of which ${loadMs} ms waiting for the API (2 requests: the DAGs and the grid) and ${ms - loadMs} ms in the browser; a frame draws in ${draw} ms, ${scrolledDraw} ms after scrolling`);
    assert.ok(ms < GRID_BOUND_MS, `the 1,000-task grid took ${ms} ms (bound ${GRID_BOUND_MS} ms)`);
    assert.ok(ms - loadMs < GRID_RENDER_BOUND_MS, `the browser's part of the 1,000-task grid took ${ms - loadMs} ms (bound ${GRID_RENDER_BOUND_MS} ms)`);
    assert.ok(draw < DRAW_BOUND_MS && scrolledDraw < DRAW_BOUND_MS, `a grid frame took ${draw} / ${scrolledDraw} ms (bound ${DRAW_BOUND_MS} ms)`);
    const ganttStarted = Date.now();
    await go(`#/dags/big/runs/${encodeURIComponent('scheduled__2026-11-01T00:00:00.000Z')}`);
    await page.waitForFunction((n) => (globalThis as unknown as Win).document.querySelectorAll('[data-testid=gantt] rect').length >= n, BIG_TASKS, { timeout: 30_000 });
    figures.push(`Gantt of a 1,000-task run: ${Date.now() - ganttStarted} ms`);
    await shot('12-gantt-1000');
  });

  it('shows the lineage of the jobs, the tables and the quality pages', async () => {
    await go('#/lineage');
    // The server's lineage log ends with the 1,000-task DAG's task events (read from its store, after the jobs'):
    // the page's latest 10,000 events may hold only those, which name no datasets. Show them, filtered by name.
    await page.waitForSelector('text=OpenLineage events', { timeout: 30_000 });
    await page.check('input[type=checkbox]');
    await page.fill('input[name=lineage-filter]', 'chain_0.step_09');
    await page.waitForSelector('[data-testid=flow-graph][data-ready=yes] .react-flow__node.lineage-job', { timeout: 30_000 });
    const shown = await page.locator('.react-flow__node').count();
    assert.ok(shown >= 1 && shown <= 10, `the filter leaves the matching tasks (${shown})`);
    await page.locator('.react-flow__node.lineage-job').first().click();
    await page.waitForSelector('[data-testid=lineage-panel]');
    await shot('13-lineage');
    await go('#/tables');
    await page.waitForSelector('[data-testid=routes-table] >> text="/api/alerts"');
    await shot('14-tables');
    await go('#/quality');
    await page.waitForSelector('[data-testid=quality-suites]');
    await shot('14b-quality');
  });

  it('shows a viewer no submit, cancel, trigger or clear buttons', async () => {
    const made = await call<{ token: string }>(server, 'POST', '/api/tokens', { body: { role: 'viewer', name: 'console-viewer' } });
    assert.equal(made.status, 201, made.text);
    await page.click('button:has-text("Sign out")');
    await page.fill('input[name=token]', made.body.token);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=who] >> text=viewer');
    await go('#/jobs');
    await page.waitForSelector('[data-testid=job-table] tbody tr[data-job]');
    assert.equal(await page.locator('button:has-text("Submit a job")').count(), 0);
    await go('#/dags/demo');
    await page.waitForSelector('[data-testid=dag-grid]');
    assert.equal(await page.locator('button:has-text("Trigger run")').count(), 0);
    const canvas = page.locator('[data-testid=dag-grid] canvas');
    const box = (await canvas.boundingBox())!;
    await page.mouse.click(box.x + 260 + 9, box.y + 64 + 10);
    await page.waitForSelector('[data-testid=task-panel]');
    assert.equal(await page.locator('button[data-action=clear]').count(), 0);
    await shot('15-viewer-grid');
  });

  it('goes back to the login when the server answers 401', async () => {
    await page.evaluate(() => (globalThis as unknown as Win).sessionStorage.setItem('riffle.console.token', 'revoked-or-unknown'));
    await go('#/jobs');
    await page.reload();
    await page.waitForSelector('input[name=token]');
    await page.fill('input[name=token]', ADMIN);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=job-table]');
    // a token that stops working while signed in
    await page.evaluate(() => (globalThis as unknown as Win).sessionStorage.setItem('riffle.console.token', 'now-unknown'));
    await page.waitForSelector('.notice >> text=sign in again', { timeout: 10_000 });
    await shot('16-login-after-401');
  });
});
