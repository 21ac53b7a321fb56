/**
 * Names of topics, subscriptions and snapshots, validated as Pub/Sub does: 3 – 255 characters, a letter first, then
 * letters, digits and `- _ . ~ + %`, not starting with `goog`. Such a name has no path separator and cannot be `.` or
 * `..`, so a store path built from it never leaves the bus's directory.
 */
import { BusInvalidArgumentError } from './bus-errors.ts';

const NAME = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;

export type BusResource = 'topic' | 'subscription' | 'snapshot';

/** Throws BusInvalidArgumentError unless `name` is a valid resource name; returns it. */
export function validateName(kind: BusResource, name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name) || /^goog/i.test(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name) : String(name);
    throw new BusInvalidArgumentError(`invalid ${kind} name ${shown}`, {
      hint: `a ${kind} name has 3 to 255 characters: a letter, then letters, digits or - _ . ~ + %, and does not start with "goog"`,
    });
  }
  return name;
}
