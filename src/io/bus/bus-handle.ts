/**
 * Where a pipeline's bus read or write finds its bus: a directory (the embedded bus, opened in this process), the URL
 * of `riffle bus serve`, or a `Bus` the caller opened. Reads and writes of one job (and of jobs in one process) that
 * name the same directory share one opened bus — a directory has one owner at a time (`bus.lock`) — and the last
 * one to release it closes it.
 */
import { resolve } from 'node:path';
import { ConfigError } from '../../model/index.ts';
import type { Bus } from './bus-api.ts';
import { connectBus } from './client/connect.ts';
import { openBus } from './open-bus.ts';

/** A bus directory, a server URL (`http://…`), or an opened `Bus` (not closed by the pipeline). */
export type BusLocation = string | Bus;

/** The default when `bus` is not given: $RIFFLE_BUS_URL when set, else the directory `.riffle/bus` (as the CLI). */
export function defaultBusLocation(): string {
  const url = process.env.RIFFLE_BUS_URL;
  return url !== undefined && url !== '' ? url : '.riffle/bus';
}

/** Checks a `bus` option when the pipeline is built (before any work starts). */
export function checkBusLocation(where: unknown, what: string): void {
  if (where === undefined) return;
  if (typeof where === 'string' && where !== '') return;
  if (isBus(where)) return;
  throw new ConfigError(`${what}: option 'bus' must be a bus directory, a server URL (http://host:port) or an opened Bus, not ${JSON.stringify(where)}`);
}

function isBus(v: unknown): v is Bus {
  return typeof v === 'object' && v !== null && typeof (v as Bus).publish === 'function' && typeof (v as Bus).streamingPull === 'function';
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);

export interface BusHandle {
  readonly bus: Bus;
  /** Where it is, for descriptions and errors. */
  readonly where: string;
  release(): Promise<void>;
}

interface Shared {
  readonly opening: Promise<Bus>;
  refs: number;
}
const shared = new Map<string, Shared>();

/** Opens (or shares) the bus at `where`; `release()` closes it once its last user released it. */
export async function acquireBus(where: BusLocation | undefined): Promise<BusHandle> {
  const loc = where ?? defaultBusLocation();
  if (typeof loc !== 'string') return { bus: loc, where: 'a Bus', release: async () => {} };
  const key = isUrl(loc) ? loc : resolve(loc);
  let entry = shared.get(key);
  if (!entry) {
    const opening = isUrl(loc) ? connectBus(loc, { token: process.env.RIFFLE_BUS_TOKEN }) : openBus({ dir: key });
    entry = { opening, refs: 0 };
    shared.set(key, entry);
    opening.catch(() => {
      if (shared.get(key) === entry) shared.delete(key);
    });
  }
  entry.refs++;
  const e = entry;
  let bus: Bus;
  try {
    bus = await e.opening;
  } catch (err) {
    e.refs--;
    throw err;
  }
  let released = false;
  return {
    bus,
    where: loc,
    async release() {
      if (released) return;
      released = true;
      if (--e.refs === 0) {
        if (shared.get(key) === e) shared.delete(key);
        await bus.close();
      }
    },
  };
}
