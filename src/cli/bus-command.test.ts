// End-to-end tests of `riffle bus ...` against a real `riffle bus serve` process on a free port, or on a bus
// directory directly (embedded). What needs a process — serve and its signals, publish from standard input, the
// acceptance path publish → pull --ack --json, exit codes and stderr — is spawned (`node --import tsx src/cli/main.ts
// bus ...`); the other
// commands run in this process through the same parser (runBusCommand), which is faster on a loaded machine.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { describeError, exitCodeOf } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import { defineBusCommand, runBusCommand } from './bus-command.ts';
import type { Command } from './command-kit.ts';
import { buildProgram, newContext } from './program.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENTRY = join(root, 'src/cli/main.ts');

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

const BASE_ENV = { RIFFLE_DEBUG: '', RIFFLE_BUS_URL: '', RIFFLE_BUS_TOKEN: '', NO_COLOR: '1' };

/** `riffle bus <args>` in a new process. */
function spawned(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'bus', ...args], { cwd: root, env: { ...process.env, ...BASE_ENV, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(opts.input ?? '');
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `riffle bus <args>` in this process (same parser and error printing as the CLI). */
async function inProcess(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    out: (t) => void (stdout += `${t}\n`),
    err: (t) => void (stderr += `${t}\n`),
    progress: { isTTY: false, write: (t) => void (stderr += t) },
    env: { ...BASE_ENV, ...env },
    cwd: root,
  };
  try {
    return { code: await runBusCommand(args, io), stdout, stderr };
  } catch (e) {
    io.err(describeError(e, false, root));
    return { code: exitCodeOf(e), stdout, stderr };
  }
}

/** A local port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** Starts `riffle bus serve --port 0` and resolves with its URL (read from its --json line). */
function serve(dir: string, extra: string[] = []): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'bus', 'serve', '--dir', dir, '--port', '0', '--json', ...extra], { cwd: root, env: { ...process.env, ...BASE_ENV } });
  let all = '';
  child.stderr!.on('data', (d: Buffer) => (all += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      all += d.toString();
      const line = out.split('\n').find((l) => l.trim().startsWith('{'));
      if (line !== undefined) resolve({ child, url: (JSON.parse(line) as { url: string }).url, output: () => all });
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${all}`)));
  });
}

describe('riffle bus (through a server)', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof serve>>;
  const TOKEN = 'cli-secret-token-42';
  let env: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'riffle-bus-cli-'));
    server = await serve(dir, ['--token', TOKEN]);
    env = { RIFFLE_BUS_URL: server.url, RIFFLE_BUS_TOKEN: TOKEN };
  });
  after(async () => {
    if (server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a topic and a subscription, publishes stdin lines, pulls them as JSON with --ack', async () => {
    let r = await inProcess(['topics', 'create', 'readings'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /created topic readings/);
    r = await inProcess(['subscriptions', 'create', 'archive', '--topic', 'readings', '--ack-deadline', '10s', '--retain-acked'], env);
    assert.equal(r.code, 0, r.stderr);
    r = await spawned(['publish', 'readings', '--attribute', 'sensor=s1', '--attribute', 'unit=C'], { env, input: '{"t":21.5}\nhello wörld\nthird\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /published 3 message\(s\) to readings/);

    r = await spawned(['pull', 'archive', '--max', '10', '--ack', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const messages = JSON.parse(r.stdout) as Array<{ data: string; encoding?: string; attributes: Record<string, string>; publishTime: string; acked?: boolean; deliveryAttempt: number }>;
    assert.deepEqual(messages.map((m) => m.data).sort(), ['hello wörld', 'third', '{"t":21.5}'].sort());
    assert.ok(messages.every((m) => m.encoding === undefined && m.acked === true && m.deliveryAttempt === 1));
    assert.deepEqual(messages[0]!.attributes, { sensor: 's1', unit: 'C' });
    assert.match(messages[0]!.publishTime, /^\d{4}-\d\d-\d\dT/);

    // Acknowledged: nothing left.
    r = await inProcess(['pull', 'archive', '--max', '10', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), []);
  });

  it('lists, shows stats, seeks back in time, and deletes', async () => {
    let r = await inProcess(['topics', 'list', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { topics: Array<{ name: string }> }).topics.map((t) => t.name), ['readings']);
    r = await inProcess(['subscriptions', 'list'], env);
    assert.match(r.stdout, /archive\s+readings\s+10s/);

    r = await inProcess(['stats', 'archive', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const stats = JSON.parse(r.stdout) as { subscriptions: Array<{ subscription: string; backlogMessages: number }> };
    assert.equal(stats.subscriptions[0]!.subscription, 'archive');
    assert.equal(stats.subscriptions[0]!.backlogMessages, 0);

    r = await inProcess(['seek', 'archive', '--time', '2000-01-01T00:00:00Z'], env);
    assert.equal(r.code, 0, r.stderr);
    r = await inProcess(['stats', '--json'], env);
    const after = JSON.parse(r.stdout) as { topics: Array<{ topic: string; messages: number }>; subscriptions: Array<{ backlogMessages: number }> };
    assert.equal(after.subscriptions[0]!.backlogMessages, 3, 'a seek to the past makes the retained acked messages unacked again');
    assert.deepEqual(Object.keys(after.subscriptions[0]!).sort(), ['ackRate', 'backlogBytes', 'backlogMessages', 'deadLettered', 'deliveryRate', 'expiredDeadlines', 'nackRate', 'oldestUnackedAge', 'outstandingMessages', 'subscription', 'topic']);
    assert.deepEqual(Object.keys(after.topics[0]!).sort(), ['bytes', 'messages', 'oldestPublishTime', 'publishRate', 'segments', 'topic']);
    r = await inProcess(['stats'], env);
    assert.match(r.stdout, /TOPIC\s+MESSAGES\s+BYTES\s+SEGMENTS\s+PUBLISH\/S\s+OLDEST/);
    assert.match(r.stdout, /SUBSCRIPTION\s+TOPIC\s+BACKLOG\s+BYTES\s+OLDEST UNACKED\s+OUTSTANDING\s+DELIVER\/S\s+ACK\/S\s+NACK\/S\s+EXPIRED\s+DEAD-LETTERED/);

    r = await inProcess(['snapshots', 'create', 'snap-1', '--subscription', 'archive'], env);
    assert.equal(r.code, 0, r.stderr);
    r = await inProcess(['seek', 'archive', '--snapshot', 'snap-1', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { subscription: 'archive', snapshot: 'snap-1' });

    r = await inProcess(['subscriptions', 'delete', 'archive'], env);
    assert.equal(r.code, 0, r.stderr);
    r = await spawned(['pull', 'archive'], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /archive/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  it('prints non-UTF-8 data as base64 with an encoding field', async () => {
    const { connectBus } = await import('../io/bus/client/connect-bus.ts');
    const bus = await connectBus(server.url, { token: TOKEN });
    await bus.createTopic('bin');
    await bus.createSubscription('bin-sub', { topic: 'bin' });
    await bus.publish('bin', [{ data: new Uint8Array([0xff, 0xfe, 0x00, 0x41]) }]);
    await bus.close();
    const r = await inProcess(['pull', 'bin-sub', '--max', '5', '--json', '--ack'], env);
    assert.equal(r.code, 0, r.stderr);
    const [m] = JSON.parse(r.stdout) as Array<{ data: string; encoding?: string }>;
    assert.equal(m!.encoding, 'base64');
    assert.deepEqual([...Buffer.from(m!.data, 'base64')], [0xff, 0xfe, 0x00, 0x41]);
  });

  it('refuses a wrong token (exit 1, the token never printed) and names an unreachable server', async () => {
    let r = await inProcess(['topics', 'list'], { RIFFLE_BUS_URL: server.url, RIFFLE_BUS_TOKEN: 'wrong-token' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bearer token/);
    assert.doesNotMatch(r.stderr + r.stdout, new RegExp(TOKEN));
    const closed = await closedPort();
    r = await spawned(['topics', 'list', '--server', `http://127.0.0.1:${closed}/`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`cannot reach the bus server at http://127\\.0\\.0\\.1:${closed}/: connection refused`));
    assert.match(r.stderr, /riffle bus serve/);
    assert.doesNotMatch(server.output(), new RegExp(TOKEN), 'the server never prints its token');
  });

  it('publish exits non-zero when the topic does not exist', async () => {
    const r = await inProcess(['publish', 'no-such-topic'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no-such-topic/);
  });

  it('usage errors exit 2: seek needs --time or --snapshot, --max out of range, a bad duration', async () => {
    let r = await inProcess(['seek', 'archive'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /exactly one of --time and --snapshot/);
    r = await inProcess(['pull', 'x', '--max', '0'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--max must be a whole number from 1 to 1000/);
    r = await inProcess(['subscriptions', 'create', 'sub-x', '--topic', 'readings', '--ack-deadline', 'soon'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--ack-deadline must be a duration/);
  });

  it('stops gracefully on SIGTERM with exit code 0', async () => {
    const second = await serve(join(dir, 'second'));
    second.child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => second.child.once('exit', (c) => r(c)));
    assert.equal(code, 0, second.output());
  });
});

describe('riffle bus (embedded, on --dir)', () => {
  it('works without a server on the bus directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riffle-bus-embedded-'));
    try {
      let r = await inProcess(['topics', 'create', 'ttt', '--dir', dir]);
      assert.equal(r.code, 0, r.stderr);
      r = await inProcess(['subscriptions', 'create', 'sss', '--topic', 'ttt', '--dir', dir, '--exactly-once', '--ordering']);
      assert.equal(r.code, 0, r.stderr);
      r = await spawned(['publish', 'ttt', '--ordering-key', 'k', '--dir', dir, '--json'], { input: 'x\ny\n' });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { published: number }).published, 2);
      r = await inProcess(['pull', 'sss', '--max', '5', '--dir', dir]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /ID\s+PUBLISHED\s+ATTEMPT/);
      assert.match(r.stdout, /\bx$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('riffle bus --help', () => {
  const walk = (cmd: Command, path: string[] = []): string[][] => cmd.commands.flatMap((c) => [[...path, c.name()], ...walk(c, [...path, c.name()])]);
  const io: CliIO = { out: () => undefined, err: () => undefined, progress: { isTTY: false, write: () => undefined }, env: {}, cwd: root };
  it('every bus command has usage, its options and examples in its help', async () => {
    const paths = walk(buildProgram(newContext(io), [defineBusCommand])).filter((p) => p[0] === 'bus');
    assert.ok(paths.length >= 18, `${paths.length} commands`);
    for (const path of paths) {
      const r = await inProcess([...path.slice(1), '--help']);
      assert.equal(r.code, 0, `${path.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: riffle ${path.join(' ')}\\b`, 'm'), path.join(' '));
      assert.match(r.stdout, /^Examples:\n {2}\$ \S/m, `${path.join(' ')}: examples`);
    }
  });
});
