// Durability: a child process publishes from ≥ 4 concurrent publishers with fsync `always` (and acks half of what one
// subscriber pulls) and is killed with SIGKILL mid-flight. After reopening, every acknowledged publish is there with
// its data (0 lost), every acknowledged ack holds, and every other message is delivered again. Counts are printed.
// RIFFLE_BUS_KILL_MESSAGES (acknowledged messages before the kill, default 1500) and RIFFLE_BUS_KILL_ROUNDS
// (default 1) make it longer in .ci/tiers/bus.sh.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { VirtualClock } from './clock.ts';
import { openBus } from './open-bus.ts';

const here = dirname(fileURLToPath(import.meta.url));
const target = Number(process.env.RIFFLE_BUS_KILL_MESSAGES ?? 1500);
const rounds = Number(process.env.RIFFLE_BUS_KILL_ROUNDS ?? 1);

interface ChildReport {
  published: Map<string, string>;
  acked: Set<string>;
  /** Acks sent whose answer may not have come back before the kill. */
  tried: Set<string>;
}

/** Runs the child until `target` more messages are acknowledged, then SIGKILLs it; returns what it reported. */
function runAndKill(dir: string, publishers: number, already: number): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'durability-child.ts'), dir, String(publishers)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const published = new Map<string, string>();
    const acked = new Set<string>();
    const tried = new Set<string>();
    let buf = '';
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!; // an incomplete line was not fully reported: not counted
      for (const line of lines) {
        if (line.startsWith('P ')) {
          for (const pair of line.slice(2).split(' ')) {
            const eq = pair.indexOf('=');
            published.set(pair.slice(0, eq), pair.slice(eq + 1));
          }
        } else if (line.startsWith('A ')) for (const id of line.slice(2).split(' ').filter(Boolean)) acked.add(id);
        else if (line.startsWith('T ')) for (const id of line.slice(2).split(' ').filter(Boolean)) tried.add(id);
      }
      if (!killed && published.size >= target) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    const timer = setTimeout(() => {
      if (!killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    }, 15_000 * Math.max(1, target / 1500));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`the child exited by itself (code ${code}): ${stderr}`));
      else if (published.size + already === 0) reject(new Error(`the child published nothing before the kill: ${stderr}`));
      else resolve({ published, acked, tried });
    });
  });
}

describe('bus durability under SIGKILL', () => {
  it(`every acknowledged publish and ack survives a kill -9 amid 4 concurrent publishers (fsync always, ${rounds} round(s))`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riffle-bus-kill-'));
    try {
      const setup = await openBus({ dir, fsync: 'always' });
      await setup.createTopic('events');
      await setup.createSubscription('work', { topic: 'events' });
      await setup.createSubscription('audit', { topic: 'events', retainAckedMessages: true });
      await setup.close();
      const published = new Map<string, string>();
      const acked = new Set<string>();
      const tried = new Set<string>();
      for (let round = 0; round < rounds; round++) {
        const r = await runAndKill(dir, 4, published.size);
        for (const [id, data] of r.published) {
          assert.ok(!published.has(id) || published.get(id) === data, `id ${id} reused for different data after a restart`);
          published.set(id, data);
        }
        for (const id of r.acked) acked.add(id);
        for (const id of r.tried) tried.add(id);
      }
      // Reopen after the last kill, with the clock past every lease the child held.
      const clock = new VirtualClock(Date.now() + 3_600_000);
      const warnings: string[] = [];
      const bus = await openBus({ dir, fsync: 'always', clock, onWarning: (m) => warnings.push(m) });
      const stored = new Map<string, string>();
      for (;;) {
        const got = await bus.pull('audit', { maxMessages: 1000 });
        if (got.length === 0) break;
        for (const m of got) stored.set(m.id, Buffer.from(m.data).toString());
        await bus.acknowledge('audit', got.map((m) => m.ackId));
      }
      let lost = 0;
      for (const [id, data] of published) if (stored.get(id) !== data) lost++;
      const redelivered = new Set<string>();
      for (;;) {
        const got = await bus.pull('work', { maxMessages: 1000 });
        if (got.length === 0) break;
        for (const m of got) redelivered.add(m.id);
        await bus.acknowledge('work', got.map((m) => m.ackId));
      }
      const ackedAgain = [...acked].filter((id) => redelivered.has(id)).length;
      const notAcked = [...published.keys()].filter((id) => !acked.has(id));
      // An ack sent but unanswered at the kill may have been stored: such a message may or may not come again.
      const missingRedelivery = notAcked.filter((id) => !redelivered.has(id) && !tried.has(id)).length;
      const unanswered = notAcked.filter((id) => tried.has(id)).length;
      console.log(
        `bus kill -9: ${rounds} round(s); acknowledged publishes ${published.size}, stored ${stored.size}, lost ${lost}; ` +
          `acks acknowledged ${acked.size}, delivered again ${ackedAgain}; unacked ${notAcked.length} (${unanswered} with an ack unanswered at the kill), ` +
          `not redelivered ${missingRedelivery}; ` +
          `torn tails cut ${warnings.filter((w) => /torn/.test(w)).length}`,
      );
      assert.equal(lost, 0, 'every acknowledged publish is stored with its data');
      assert.equal(ackedAgain, 0, 'an acknowledged ack is never undone');
      assert.equal(missingRedelivery, 0, 'every message not acked is delivered again');
      await bus.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
