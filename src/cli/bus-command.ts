/**
 * `riffle bus ...`: the message bus's commands, as definitions (names, arguments, options, help, examples). Their
 * actions (bus-actions.ts) load when one runs, so `riffle --help` stays fast.
 *
 * Where the bus is: `--server URL` (or $RIFFLE_BUS_URL) reaches a running `riffle bus serve`; without either, the
 * command opens the bus directory `--dir` (default .riffle/bus) itself, in this process ("embedded"), which needs
 * the directory to itself — while a server runs on it, go through the server.
 */
import type { CliIO } from './cli-io.ts';
import { action, collect, defineCommand, Option, type CliContext, type Command } from './command-kit.ts';

const BUS_NOTES = `
Where the bus is: --server URL (or $RIFFLE_BUS_URL) talks to 'riffle bus serve'; without either, the command
opens the bus directory (--dir, default .riffle/bus) in this process, which needs it to itself: while a server
runs on that directory, pass --server. A server started with --token (or $RIFFLE_BUS_TOKEN) needs the same token.
Durations: '500ms', '10s', '5m', '1h'. Times: ISO-8601 (2026-12-07T01:00:00Z).
With --json, stdout holds one JSON document; times are ISO-8601 strings and durations milliseconds.
Exit codes: 0 done, 1 the bus refused or failed (not found, invalid, unreachable), 2 usage error.`;

/** The actions' module, loaded when a bus command runs. */
const actions = () => import('./bus-actions.ts');

/** `riffle bus`. */
export function defineBusCommand(ctx: CliContext): Command {
  const { io } = ctx;
  const bus = defineCommand('bus', 'the embedded message bus (Pub/Sub semantics): serve, topics, subscriptions, publish, pull, seek, snapshots, stats', [
    ['riffle bus serve --dir .riffle/bus --port 8085', 'serve the bus to other processes (loopback)'],
    ['riffle bus topics create readings', 'a topic'],
    ['riffle bus subscriptions create archive --topic readings --ack-deadline 30s', 'a subscription'],
    ["printf 'a\\nb\\n' | riffle bus publish readings --attribute sensor=s1", 'two messages, one per line'],
    ['riffle bus pull archive --max 10 --ack --json', 'receive, print and acknowledge'],
  ])
    .usage('<command> [options]')
    .option('--server <url>', 'a bus server (default $RIFFLE_BUS_URL; without either, the bus in --dir is opened here)')
    .option('--token <token>', 'the bearer token of a server started with --token (default $RIFFLE_BUS_TOKEN, which other users cannot see in ps)')
    .option('--dir <dir>', 'the bus directory, for serve and for commands without a server (default .riffle/bus)')
    .option('--json', 'print results as one JSON document');
  bus.addHelpText('after', BUS_NOTES);

  bus.addCommand(
    defineCommand('serve', 'serve the bus in --dir over HTTP (JSON API, WebSocket streaming pull) until SIGINT/SIGTERM', [
      ['riffle bus serve --port 0', 'on a free port (printed)'],
      ['RIFFLE_BUS_TOKEN=$(cat token) riffle bus serve --host 0.0.0.0', 'on every interface, with a bearer token'],
    ])
      .option('--port <port>', 'the TCP port (default 8085; 0 picks a free one)')
      .option('--host <host>', 'the address to listen on (default 127.0.0.1: this machine only)')
      .addOption(new Option('--fsync <policy>', 'when a publish is durable: always (fsync before each answer), interval (group fsync every few ms), never (after the write)').choices(['always', 'interval', 'never']).default('interval'))
      .action(action(ctx, async (c) => (await actions()).serveAction(c, io))),
  );

  const topics = defineCommand('topics', 'create, list or delete topics', [['riffle bus topics create readings', 'a topic'], ['riffle bus topics list --json', 'the topics as JSON']]).usage('<create|list|delete> [options]');
  topics.addCommand(
    defineCommand('create', 'create a topic', [['riffle bus topics create readings --retention 3d', 'keep messages 3 days']])
      .argument('<topic>', 'the topic name')
      .option('--retention <duration>', 'how long messages are kept (default 7d)')
      .option('--retention-bytes <n>', 'delete the oldest segments past this many bytes')
      .addOption(new Option('--schema-type <type>', 'validate published messages against a schema').choices(['json', 'avro']))
      .option('--schema-file <file>', 'the schema (a JSON Schema, or an Avro schema), with --schema-type')
      .addOption(new Option('--schema-encoding <encoding>', 'Avro messages as JSON (default) or binary').choices(['json', 'binary']))
      .option('--dedup-attribute <name>', "drop a message whose attribute <name> repeats an earlier one's within --dedup-window")
      .option('--dedup-window <duration>', 'how long dedup ids are remembered (default 10m)')
      .option('--label <k=v>', 'a label (repeatable)', collect, [])
      .action(action(ctx, async (c) => (await actions()).topicsCreateAction(c, io))),
  );
  topics.addCommand(defineCommand('list', 'the topics', [['riffle bus topics list', 'name, retention, schema, creation time']]).action(action(ctx, async (c) => (await actions()).topicsListAction(c, io))));
  topics.addCommand(
    defineCommand('delete', 'delete a topic and its messages (its subscriptions stay, detached)', [['riffle bus topics delete readings', 'the topic readings']])
      .argument('<topic>', 'the topic name')
      .action(action(ctx, async (c) => (await actions()).topicsDeleteAction(c, io))),
  );
  bus.addCommand(topics);

  const subscriptions = defineCommand('subscriptions', 'create, list or delete subscriptions', [['riffle bus subscriptions create archive --topic readings', 'a subscription'], ['riffle bus subscriptions list --topic readings', 'those of one topic']]).usage('<create|list|delete> [options]');
  subscriptions.addCommand(
    defineCommand('create', 'create a subscription to a topic', [
      ['riffle bus subscriptions create archive --topic readings --ack-deadline 30s', 'a pull subscription'],
      ['riffle bus subscriptions create s --topic t --dead-letter-topic t-dead --max-delivery-attempts 5', 'dead letters after 5 attempts'],
      ["riffle bus subscriptions create hot --topic t --filter 'attributes.kind = \"hot\"'", 'only some messages'],
    ])
      .argument('<subscription>', 'the subscription name')
      .requiredOption('--topic <topic>', 'the topic it reads')
      .option('--ack-deadline <duration>', 'time to acknowledge a delivery before redelivery (10s to 600s, default 10s)')
      .option('--min-backoff <duration>', 'retry policy: the first redelivery delay after a nack or expiry (10s to 600s)')
      .option('--max-backoff <duration>', 'retry policy: the largest redelivery delay (10s to 600s)')
      .option('--dead-letter-topic <topic>', 'where messages go after --max-delivery-attempts')
      .option('--max-delivery-attempts <n>', 'with --dead-letter-topic: 5 to 100 (default 5)')
      .option('--filter <expression>', 'an attribute filter, e.g. attributes.kind = "click" AND NOT attributes:test')
      .option('--ordering', 'deliver messages with the same ordering key in publish order')
      .option('--exactly-once', 'exactly-once delivery (an ack id succeeds once)')
      .option('--retain-acked', 'keep acknowledged messages, so that a seek back delivers them again')
      .option('--retention <duration>', 'how long unacked messages are kept (10m to 7d, default 7d)')
      .option('--label <k=v>', 'a label (repeatable)', collect, [])
      .action(action(ctx, async (c) => (await actions()).subscriptionsCreateAction(c, io))),
  );
  subscriptions.addCommand(
    defineCommand('list', 'the subscriptions (of one topic with --topic)', [['riffle bus subscriptions list --json', 'all, as JSON']])
      .option('--topic <topic>', 'only those of this topic')
      .action(action(ctx, async (c) => (await actions()).subscriptionsListAction(c, io))),
  );
  subscriptions.addCommand(
    defineCommand('delete', 'delete a subscription', [['riffle bus subscriptions delete archive', 'the subscription archive']])
      .argument('<subscription>', 'the subscription name')
      .action(action(ctx, async (c) => (await actions()).subscriptionsDeleteAction(c, io))),
  );
  bus.addCommand(subscriptions);

  bus.addCommand(
    defineCommand('publish', 'publish standard input, one message per line; exits 0 once every message is durable', [
      ['cat readings.jsonl | riffle bus publish readings', 'one message per line'],
      ['echo hi | riffle bus publish t --attribute kind=greeting --ordering-key k1', 'with an attribute and an ordering key'],
    ])
      .argument('<topic>', 'the topic')
      .option('--attribute <k=v>', 'an attribute of every message (repeatable)', collect, [])
      .option('--ordering-key <key>', 'the ordering key of every message')
      .action(action(ctx, async (c) => (await actions()).publishAction(c, io))),
  );

  bus.addCommand(
    defineCommand('pull', 'receive messages (data as text when it is UTF-8, else base64); --ack acknowledges them after printing', [
      ['riffle bus pull archive --max 10 --ack --json', 'up to 10, as JSON, acknowledged'],
      ['riffle bus pull archive --wait 30s', 'wait up to 30 s for a first message'],
    ])
      .argument('<subscription>', 'the subscription')
      .option('--max <n>', 'at most this many messages (1 to 1000, default 1)')
      .option('--wait <duration>', 'wait this long for a first message when none is ready (default 0)')
      .option('--ack', 'acknowledge the messages once printed (otherwise they are redelivered after the ack deadline)')
      .action(action(ctx, async (c) => (await actions()).pullAction(c, io))),
  );

  bus.addCommand(
    defineCommand('seek', 'move a subscription to a time (earlier messages acked, later unacked) or to a snapshot', [
      ['riffle bus seek archive --time 2026-12-07T00:00:00Z', 'replay everything published since midnight'],
      ['riffle bus seek archive --snapshot before-deploy', 'back to a snapshot'],
    ])
      .argument('<subscription>', 'the subscription')
      .option('--time <iso>', 'an ISO-8601 time')
      .option('--snapshot <name>', 'a snapshot of the subscription')
      .action(action(ctx, async (c) => (await actions()).seekAction(c, io))),
  );

  const snapshots = defineCommand('snapshots', "create, list or delete snapshots of subscriptions' acknowledgement state", [['riffle bus snapshots create before-deploy --subscription archive', 'a snapshot'], ['riffle bus snapshots list', 'the snapshots']]).usage('<create|list|delete> [options]');
  snapshots.addCommand(
    defineCommand('create', "capture a subscription's acknowledgement state", [['riffle bus snapshots create before-deploy --subscription archive', 'to seek back to later']])
      .argument('<snapshot>', 'the snapshot name')
      .requiredOption('--subscription <subscription>', 'the subscription')
      .action(action(ctx, async (c) => (await actions()).snapshotsCreateAction(c, io))),
  );
  snapshots.addCommand(defineCommand('list', 'the snapshots', [['riffle bus snapshots list --json', 'as JSON']]).action(action(ctx, async (c) => (await actions()).snapshotsListAction(c, io))));
  snapshots.addCommand(
    defineCommand('delete', 'delete a snapshot', [['riffle bus snapshots delete before-deploy', 'the snapshot before-deploy']])
      .argument('<snapshot>', 'the snapshot name')
      .action(action(ctx, async (c) => (await actions()).snapshotsDeleteAction(c, io))),
  );
  bus.addCommand(snapshots);

  bus.addCommand(
    defineCommand('stats', 'backlogs, oldest unacked ages and delivery rates (of every subscription, or one)', [
      ['riffle bus stats', 'every topic and subscription'],
      ['riffle bus stats archive --json', 'one subscription, as JSON'],
    ])
      .argument('[subscription]', 'only this subscription')
      .option('--topic <topic>', 'only this topic and its subscriptions')
      .action(action(ctx, async (c) => (await actions()).statsAction(c, io))),
  );
  return bus;
}

/** The name the brief of the CLI registry uses: the same factory. */
export const busCommand = defineBusCommand;

/** `riffle bus ...` in-process: runs `argv` (the words after `bus`) and returns the exit code; errors are thrown. */
export async function runBusCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { execute } = await import('./program.ts');
  return execute(['bus', ...argv], io, [defineBusCommand]);
}
