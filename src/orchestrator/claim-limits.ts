/**
 * What a claim may still take: free pool slots and room under the per-DAG and per-task limits, given what the
 * queued and running instances of the store already occupy. Pure bookkeeping, shared by every MetadataStore so that
 * they choose alike; each store runs it inside its own atomic section (see `claimTaskInstances`).
 * @example
 *   const budget = new ClaimBudget(occupied, { limit: 4, pools: { default_pool: 128, db: 2 } });
 *   const chosen = candidates.filter((c) => budget.take(c));
 */
import { MetadataStoreError } from './errors.ts';
import type { ClaimOptions, ClaimRequest } from './metadata-store.ts';

/** What queued or running instances of one (DAG, task, pool) occupy: `instances` of them, `slots` pool slots. */
export interface Occupied {
  dagId: string;
  taskId: string;
  pool: string;
  instances: number;
  slots: number;
}

/** Counts occupancy per pool, DAG and task; `take` admits a request if it fits and books it. */
export class ClaimBudget {
  private readonly poolUsed = new Map<string, number>();
  private readonly dagActive = new Map<string, number>();
  private readonly taskActive = new Map<string, number>();
  private taken = 0;

  constructor(occupied: Iterable<Occupied>, private readonly o: ClaimOptions) {
    for (const x of occupied) this.book(x.dagId, x.taskId, x.pool, x.instances, x.slots);
  }

  /** True (and booked) if `r` fits every limit and the call's `limit` is not reached yet. */
  take(r: ClaimRequest): boolean {
    if (this.full) return false;
    if ((this.poolUsed.get(r.pool) ?? 0) + r.poolSlots > (this.o.pools[r.pool] ?? 0)) return false;
    if (r.maxActiveTasks !== undefined && (this.dagActive.get(r.dagId) ?? 0) >= r.maxActiveTasks) return false;
    if (r.maxActiveInstances !== undefined && (this.taskActive.get(taskKey(r.dagId, r.taskId)) ?? 0) >= r.maxActiveInstances) return false;
    this.book(r.dagId, r.taskId, r.pool, 1, r.poolSlots);
    this.taken++;
    return true;
  }

  /** The call's `limit` is reached: nothing more can be taken. */
  get full(): boolean {
    return this.taken >= this.o.limit;
  }

  private book(dagId: string, taskId: string, pool: string, instances: number, slots: number): void {
    this.poolUsed.set(pool, (this.poolUsed.get(pool) ?? 0) + slots);
    this.dagActive.set(dagId, (this.dagActive.get(dagId) ?? 0) + instances);
    const k = taskKey(dagId, taskId);
    this.taskActive.set(k, (this.taskActive.get(k) ?? 0) + instances);
  }
}

/** Checks a claim's arguments: a bad limit or slot count is a caller's bug, named here rather than claimed around. */
export function checkClaim(requests: readonly ClaimRequest[], o: ClaimOptions): void {
  const bad = (message: string) => new MetadataStoreError('CLAIM_INVALID', `claimTaskInstances: ${message}`);
  if (!Number.isInteger(o.limit) || o.limit < 0) throw bad(`limit must be an integer ≥ 0, got ${o.limit}`);
  for (const r of requests) {
    if (!Number.isInteger(r.poolSlots) || r.poolSlots < 1) throw bad(`task '${r.taskId}' of dag '${r.dagId}' asks for ${r.poolSlots} slots of pool '${r.pool}'; expected an integer ≥ 1`);
  }
}

const taskKey = (dagId: string, taskId: string) => `${dagId}\u0000${taskId}`;
