// Scheduler chaos (see orchestrator-chaos.ts): SIGKILLs of `riffle scheduler` at random points, restarts, and a DAG
// with `retries: 0` whose every run must still succeed with each task body run exactly once. A small case runs in
// npm test (2 kills, 12 tasks); the full one (20 kills, 3 runs x 24 tasks; RIFFLE_CHAOS_KILLS / RIFFLE_CHAOS_RUNS to change) with
// RIFFLE_INTEGRATION=1 (.ci/tiers/orchestrator-chaos.sh). With RIFFLE_PG_URL, a small case on PostgreSQL too.
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { runChaos } from './orchestrator-chaos.ts';

const full = process.env.RIFFLE_INTEGRATION === '1';
const pgUrl = process.env.RIFFLE_PG_URL;
const log = (line: string) => console.log(line);
const seed = process.env.RIFFLE_CHAOS_SEED === undefined ? undefined : Number(process.env.RIFFLE_CHAOS_SEED);

describe('orchestrator chaos: scheduler SIGKILLs', () => {
  it('journal store, 2 kills, 1 run of 12 tasks: every task once, run succeeds', { timeout: 120_000 }, async () => {
    await runChaos({ kills: 2, runs: 1, tasks: 12, minLifeMs: 500, maxLifeMs: 2500, log, ...(seed !== undefined && { seed }) });
  });

  it('journal store, 20 kills, 3 runs (tier)', { skip: full ? false : 'RIFFLE_INTEGRATION=1 (.ci/tiers/orchestrator-chaos.sh)', timeout: 600_000 }, async () => {
    await runChaos({ kills: Number(process.env.RIFFLE_CHAOS_KILLS ?? 20), runs: Number(process.env.RIFFLE_CHAOS_RUNS ?? 3), log, ...(seed !== undefined && { seed }) });
  });

  it('PostgreSQL store, 3 kills, 1 run', { skip: pgUrl ? false : 'needs RIFFLE_PG_URL', timeout: 300_000 }, async () => {
    const u = new URL(pgUrl!);
    u.searchParams.set('schema', `riffle_chaos_${randomUUID().replaceAll('-', '').slice(0, 12)}`);
    await runChaos({ kills: 3, runs: 1, store: u.toString(), log, ...(seed !== undefined && { seed }) });
  });
});
