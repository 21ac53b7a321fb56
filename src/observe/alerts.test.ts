// Alerts: the rules file (unknown keys and missing channels named by file, line and key), each rule kind's
// condition, de-duplication (one notification when an alert starts firing, one when it resolves, none again after a
// restart), a webhook retried with backoff until it answers, and e-mail through a real SMTP server (smtp-server,
// in-process) with authentication, the password read from the environment and never in the history.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { AlertEngine, conditions, readAlertHistory, type AlertFacts, type AlertJob } from './alert-engine.ts';
import { loadAlertRules, type AlertRule } from './alert-rules.ts';

const dir = mkdtempSync(join(tmpdir(), 'riffle-alerts-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const NOW = Date.parse('2026-12-07T12:00:00Z');
const job = (id: string, o: Partial<AlertJob> = {}): AlertJob => ({ id, pipeline: 'etl.ts', state: 'succeeded', startedAt: NOW - 60_000, endedAt: NOW - 1000, elementsRead: 100, deadLetters: 0, watermarkLagMs: null, reason: null, ...o });
const facts = (jobs: AlertJob[], o: Partial<AlertFacts> = {}): AlertFacts => ({ now: NOW, jobs, dagLastSuccess: new Map(), quality: [], ...o });
const rule = (text: string): AlertRule => loadAlertRules(file(`r${Math.random()}.yaml`, `rules:\n  - ${text}\n`)).rules[0]!;

describe('alert rules file', () => {
  it('reads rules and channels, durations in ms', () => {
    const c = loadAlertRules(file('ok.yaml', `interval: 5s
channels:
  ops: { type: webhook, url: 'http://127.0.0.1:1/hook', retries: 1, backoff: 10ms }
rules:
  - { name: failed, kind: job_failed, severity: critical, channels: [ops] }
  - { name: slow, kind: runtime_above, threshold: 30m, severity: warning }
`));
    assert.equal(c.intervalMs, 5000);
    assert.deepEqual(c.rules.map((r) => [r.name, r.kind]), [['failed', 'job_failed'], ['slow', 'runtime_above']]);
    assert.equal((c.rules[1] as Extract<AlertRule, { kind: 'runtime_above' }>).threshold, 1_800_000);
  });

  it('names the file, line and key of an unknown key, a bad value and a missing channel', () => {
    const bad = file('bad.yaml', `rules:\n  - name: x\n    kind: job_failed\n    severity: critical\n    chanels: [ops]\n`);
    assert.throws(() => loadAlertRules(bad), (e: Error) => e.message.includes(`${bad}:5`) && /rules\[0\]/.test(e.message) && /chanels/.test(e.message));
    const severity = file('sev.yaml', `rules:\n  - { name: x, kind: job_failed, severity: urgent }\n`);
    assert.throws(() => loadAlertRules(severity), (e: Error) => e.message.includes(`${severity}:2`) && /severity/.test(e.message));
    const channel = file('chan.yaml', `rules:\n  - name: x\n    kind: job_failed\n    severity: info\n    channels: [pager]\n`);
    assert.throws(() => loadAlertRules(channel), (e: Error) => e.message.includes(`${channel}:5`) && /no channel 'pager'/.test(e.message));
    const duration = file('dur.yaml', `rules:\n  - { name: x, kind: runtime_above, severity: info, threshold: soon }\n`);
    assert.throws(() => loadAlertRules(duration), (e: Error) => /threshold/.test(e.message) && e.message.includes(`${duration}:2`));
  });
});

describe('alert conditions', () => {
  it('job failure within the window, failure rate over a window, runtime, dead-letter rate, watermark lag', () => {
    const jobs = [job('a', { state: 'failed', reason: 'boom' }), job('b'), job('c', { state: 'failed', endedAt: NOW - 3 * 3_600_000 }), job('d', { state: 'running', endedAt: null, startedAt: NOW - 7_200_000, watermarkLagMs: 600_000, elementsRead: 1000, deadLetters: 150 })];
    assert.deepEqual(conditions(rule('{ name: f, kind: job_failed, severity: critical }'), facts(jobs)).map((c) => c.subject), ['a']);
    assert.deepEqual(conditions(rule('{ name: f, kind: failure_rate, severity: warning, threshold: 40, window: 1h }'), facts(jobs)).map((c) => [c.subject, c.value]), [['all jobs', 50]]);
    assert.deepEqual(conditions(rule('{ name: f, kind: failure_rate, severity: warning, threshold: 50, window: 1h }'), facts(jobs)), []);
    assert.deepEqual(conditions(rule('{ name: f, kind: failure_rate, severity: warning, threshold: 10, window: 1h, minJobs: 3 }'), facts(jobs)), []);
    assert.deepEqual(conditions(rule('{ name: f, kind: runtime_above, severity: info, threshold: 1h }'), facts(jobs)).map((c) => c.subject), ['d']);
    assert.deepEqual(conditions(rule('{ name: f, kind: dlq_rate, severity: info, threshold: 10 }'), facts(jobs)).map((c) => [c.subject, c.value]), [['d', 15]]);
    assert.deepEqual(conditions(rule('{ name: f, kind: watermark_lag, severity: info, threshold: 5m }'), facts(jobs)).map((c) => c.subject), ['d']);
    assert.deepEqual(conditions(rule('{ name: f, kind: watermark_lag, severity: info, threshold: 15m }'), facts(jobs)), []);
    assert.deepEqual(conditions(rule('{ name: f, kind: job_failed, severity: info, pipeline: other.ts }'), facts(jobs)), []);
  });

  it('quality score below a threshold and a freshness SLA', () => {
    const quality = [{ suite: 'orders', scorePercent: 80, at: NOW }, { suite: 'users', scorePercent: 99, at: NOW }];
    assert.deepEqual(conditions(rule('{ name: q, kind: quality_score_below, severity: warning, threshold: 90 }'), facts([], { quality })).map((c) => [c.subject, c.value]), [['orders', 80]]);
    const dags = new Map<string, number | null>([['etl', NOW - 30 * 3_600_000], ['fresh', NOW - 3_600_000], ['never', null]]);
    const sla = (dag: string) => conditions(rule(`{ name: s, kind: freshness_sla, severity: critical, dag: ${dag}, within: 1d }`), facts([], { dagLastSuccess: dags }));
    assert.deepEqual([sla('etl').length, sla('fresh').length, sla('never').length, sla('missing').length], [1, 0, 1, 1]);
    assert.match(sla('missing')[0]!.message, /not in the orchestrator store/);
  });
});

describe('alert notifications', () => {
  it('are de-duplicated until resolved, retried with backoff to a webhook, and remembered across a restart', async () => {
    const received: Array<{ status: string; subject: string; auth: string | undefined }> = [];
    let calls = 0;
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d));
      req.on('end', () => {
        calls++;
        if (calls % 3 !== 0) {
          res.writeHead(503).end(); // the first two attempts of each notification fail
          return;
        }
        const n = JSON.parse(body) as { status: string; subject: string };
        received.push({ status: n.status, subject: n.subject, auth: req.headers.authorization });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    const rules = loadAlertRules(file('hook.yaml', `channels:\n  ops: { type: webhook, url: '${url}', retries: 3, backoff: 5ms, headersEnv: { Authorization: HOOK_AUTH } }\nrules:\n  - { name: failed, kind: job_failed, severity: critical, channels: [ops] }\n`));
    const history = join(dir, 'alerts.jsonl');
    const sleeps: number[] = [];
    const env = { HOOK_AUTH: 'Bearer s3cret' };
    const engine = new AlertEngine(rules, history, { env, sleep: async (t) => sleeps.push(t) });
    const failing = facts([job('a', { state: 'failed' })]);
    assert.equal(engine.evaluate(failing).length, 1);
    assert.equal(engine.evaluate(failing).length, 0, 'still firing: not notified again');
    await engine.settle();
    assert.deepEqual(received, [{ status: 'firing', subject: 'a', auth: 'Bearer s3cret' }]);
    assert.deepEqual(sleeps, [5, 10]);
    assert.equal(engine.active().length, 1);

    const again = new AlertEngine(rules, history, { env, sleep: async () => undefined });
    assert.equal(again.evaluate(failing).length, 0, 'a restarted server knows it is firing');
    const resolved = again.evaluate(facts([job('a', { state: 'failed', endedAt: NOW - 2 * 3_600_000 })]));
    assert.deepEqual(resolved.map((n) => [n.status, n.subject]), [['resolved', 'a']]);
    await again.settle();
    assert.deepEqual(received.map((r) => r.status), ['firing', 'resolved']);
    const records = readAlertHistory(history);
    assert.deepEqual(records.map((r) => [r.status, r.deliveries[0]?.ok, r.deliveries[0]?.attempts]), [['firing', true, 3], ['resolved', true, 3]]);
    assert.doesNotMatch(readFileSync(history, 'utf8'), /s3cret/);
    hook.close();
  });

  it('record a delivery that failed every attempt', async () => {
    const rules = loadAlertRules(file('dead.yaml', `channels:\n  ops: { type: webhook, url: 'http://127.0.0.1:9/none', retries: 2, backoff: 1ms, timeout: 1s }\nrules:\n  - { name: failed, kind: job_failed, severity: critical, channels: [ops] }\n`));
    const history = join(dir, 'dead.jsonl');
    const lines: string[] = [];
    const engine = new AlertEngine(rules, history, { sleep: async () => undefined, log: (l) => lines.push(l) });
    engine.evaluate(facts([job('z', { state: 'failed' })]));
    await engine.settle();
    const [r] = readAlertHistory(history);
    assert.deepEqual([r?.deliveries[0]?.ok, r?.deliveries[0]?.attempts], [false, 3]);
    assert.match(lines[0] ?? '', /delivery to ops failed after 3 attempts/);
  });

  it('go out as e-mail over SMTP with authentication', async () => {
    const mails: Array<{ from: string; to: string[]; user: string | undefined; data: string }> = [];
    const smtp = new SMTPServer({
      authOptional: false, allowInsecureAuth: true, disabledCommands: ['STARTTLS'], logger: false,
      onAuth(auth, _session, done) {
        if (auth.username === 'riffle' && auth.password === 'pw-from-env') done(null, { user: auth.username });
        else done(new Error('bad credentials'));
      },
      onData(stream, session, done) {
        let data = '';
        stream.on('data', (d: Buffer) => (data += d.toString()));
        stream.on('end', () => {
          mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), user: session.user as string | undefined, data });
          done();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    const port = (smtp.server.address() as AddressInfo).port;
    const rules = loadAlertRules(file('mail.yaml', `channels:
  oncall: { type: email, smtp: { host: 127.0.0.1, port: ${port}, user: riffle, passwordEnv: SMTP_PW }, from: riffle@example.com, to: [oncall@example.com, ops@example.com], retries: 0 }
rules:
  - { name: lag, kind: watermark_lag, threshold: 1m, severity: warning, channels: [oncall] }
`));
    const history = join(dir, 'mail.jsonl');
    const engine = new AlertEngine(rules, history, { env: { SMTP_PW: 'pw-from-env' } });
    engine.evaluate(facts([job('j1', { state: 'running', endedAt: null, watermarkLagMs: 120_000 })]));
    await engine.settle();
    assert.equal(mails.length, 1, JSON.stringify(readAlertHistory(history)));
    assert.deepEqual([mails[0]!.from, mails[0]!.to, mails[0]!.user], ['riffle@example.com', ['oncall@example.com', 'ops@example.com'], 'riffle']);
    assert.match(mails[0]!.data, /Subject: \[riffle WARNING\] lag: j1/);
    assert.match(mails[0]!.data, /watermark is 120 s behind/);

    const wrong = new AlertEngine(rules, join(dir, 'mail-wrong.jsonl'), { env: { SMTP_PW: 'wrong-password' } });
    wrong.evaluate(facts([job('j2', { state: 'running', endedAt: null, watermarkLagMs: 120_000 })]));
    await wrong.settle();
    const [r] = readAlertHistory(join(dir, 'mail-wrong.jsonl'));
    assert.equal(r?.deliveries[0]?.ok, false);
    assert.doesNotMatch(JSON.stringify(r), /wrong-password/);
    await new Promise<void>((done) => smtp.close(() => done()));
  });
});
