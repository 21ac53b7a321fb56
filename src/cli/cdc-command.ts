/**
 * `riffle cdc ...`: PostgreSQL change data capture's administration — create the publication and its pgoutput slot
 * that `io.postgres.changes` reads, show how far a slot's consumer is behind, drop them. Definitions only; the
 * actions (cdc-actions.ts) load when one runs.
 *
 * The server: --url, else $RIFFLE_PG_URL, else $DATABASE_URL, else libpq's variables (PGHOST, PGPORT, PGUSER,
 * PGPASSWORD, PGDATABASE). The password is never printed (URLs in messages show `***`); prefer the environment to
 * --url, which other users can see in `ps`.
 */
import type { CliIO } from './cli-io.ts';
import { action, defineCommand, type CliContext, type Command } from './command-kit.ts';

const CDC_NOTES = `
The server: --url postgres://user@host:port/db, else $RIFFLE_PG_URL, else $DATABASE_URL, else libpq's PGHOST,
PGPORT, PGUSER, PGPASSWORD and PGDATABASE. Passwords are never printed; prefer the environment to --url (ps shows it).
The server needs wal_level = logical (and max_replication_slots > 0); the user needs the REPLICATION attribute (or
superuser) and, for a publication of all tables, superuser.
With --json, stdout holds one JSON document. Exit codes: 0 done, 1 the server refused or failed, 2 usage error.`;

const actions = () => import('./cdc-actions.ts');

/** `riffle cdc`. */
export function defineCdcCommand(ctx: CliContext): Command {
  const { io } = ctx;
  const cdc = defineCommand('cdc', 'PostgreSQL change data capture: set up a publication and its replication slot, show lag, drop them', [
    ['riffle cdc setup --publication orders_pub --slot orders_slot --tables public.orders', 'what io.postgres.changes reads'],
    ['riffle cdc status --slot orders_slot --publication orders_pub', 'confirmed LSN, lag in bytes and time'],
    ['riffle cdc drop --slot orders_slot --publication orders_pub', 'stop retaining WAL for it'],
  ])
    .usage('<command> [options]')
    .option('--url <url>', 'the server: postgres://user@host:port/database (default $RIFFLE_PG_URL, $DATABASE_URL or PG* variables)')
    .option('--json', 'print results as one JSON document');
  cdc.addHelpText('after', CDC_NOTES);

  cdc.addCommand(
    defineCommand('setup', 'create the publication (of --tables, or all tables) and its pgoutput slot, each only when missing; prints the slot status', [
      ['riffle cdc setup --publication p --slot s --tables public.orders,public.customers', 'two tables'],
      ['riffle cdc setup --publication p --slot s', 'every table (needs superuser)'],
    ])
      .requiredOption('--publication <name>', 'the publication')
      .requiredOption('--slot <name>', 'the replication slot (lower-case letters, digits and _)')
      .option('--tables <list>', 'comma-separated tables (schema.table or table); default: all tables')
      .action(action(ctx, async (c) => (await actions()).setupAction(c, io))),
  );
  cdc.addCommand(
    defineCommand('status', "a slot's state: active or not, confirmed LSN, lag in WAL bytes and, where measurable, in time", [
      ['riffle cdc status --slot s --publication p --json', 'as JSON (with --publication an idle slot has a time lag too)'],
      ['riffle cdc status', 'every logical slot of the database'],
    ])
      .option('--slot <name>', 'the slot (default: every logical slot of the database)')
      .option('--publication <name>', "the slot's publication: measures an inactive slot's lag in time (age of its oldest unconfirmed transaction)")
      .action(action(ctx, async (c) => (await actions()).statusAction(c, io))),
  );
  cdc.addCommand(
    defineCommand('drop', 'drop the slot (the server stops retaining WAL for it) and, with --publication, the publication', [
      ['riffle cdc drop --slot s --publication p', 'both'],
    ])
      .requiredOption('--slot <name>', 'the slot')
      .option('--publication <name>', 'also drop this publication')
      .action(action(ctx, async (c) => (await actions()).dropAction(c, io))),
  );
  return cdc;
}

/** `riffle cdc ...` in-process: runs `argv` (the words after `cdc`) and returns the exit code; errors are thrown. */
export async function runCdcCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { execute } = await import('./program.ts');
  return execute(['cdc', ...argv], io, [defineCdcCommand]);
}
