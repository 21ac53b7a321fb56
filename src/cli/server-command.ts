/**
 * `riffle server` (the REST API, its console page and /metrics) and `riffle server token create|list|revoke`:
 * definitions only; the actions (server-actions.ts) load when one runs.
 */
import { action, defineCommand, Option, type CliContext, type Command } from './command-kit.ts';

const SERVER_NOTES = `
The server's directory (--dir, default .riffle/server) holds its jobs, tokens (hashed), audit log and, unless
--store names another, the orchestrator's metadata store. Pipeline modules and --dags are relative to --project
(default the current directory); a job's pipeline may not lead out of it.
Every /api call needs 'Authorization: Bearer <token>'. Roles: viewer (reads), operator (+ cancel, drain, trigger,
clear, mark, pause), developer (+ submit jobs), admin (+ tokens). $RIFFLE_ADMIN_TOKEN adds an admin token at start.
Public: GET / (console page), GET /openapi.json, GET /metrics (Prometheus), GET /healthz.
Exit codes: 0 stopped by SIGINT/SIGTERM, 1 the server failed, 2 usage error.`;

const actions = () => import('./server-actions.ts');

/** `riffle server`. */
export function defineServerCommand(ctx: CliContext): Command {
  const { io } = ctx;
  const server = defineCommand('server', 'serve the REST API (jobs, DAGs, tokens), a console page and /metrics', [
    ['RIFFLE_ADMIN_TOKEN=$(cat admin.token) riffle server --port 8080 --dir .riffle/server', 'serve, with an admin token'],
    ['riffle server token create --role viewer --dir .riffle/server', 'a read-only token (printed on the last line)'],
    ['riffle server --port 0 --json', 'on a free port; the URL as JSON'],
  ])
    .usage('[options] | token <create|list|revoke> [options]')
    .option('--dir <dir>', 'the server directory (default .riffle/server)')
    .option('--port <port>', 'the TCP port (default 8080; 0 picks a free one)')
    .option('--host <host>', 'the address to listen on (default 127.0.0.1: this machine only)')
    .option('--project <dir>', 'where pipeline modules and the DAG folder are (default the current directory)')
    .option('--dags <folder>', 'the DAG folder, for trigger/clear/mark (default dags, in --project)')
    .option('--store <path|url>', 'the metadata store: a directory or postgres://... (default <dir>/orchestrator)')
    .option('--alerts <file>', 'the alert rules, YAML or JSON (default <dir>/alerts.yaml when it exists)')
    .option('--quality-store <dir>', 'the quality results store (default quality/results in --project)')
    .option('--data-docs <dir>', 'the data docs site (default quality/docs in --project)')
    .option('--bus <url>', "a riffle bus serve URL ($RIFFLE_BUS_TOKEN): its topics, subscriptions and backlog in the API and /metrics")
    .option('--tables <dir>', 'where the Delta tables the API lists are (default --project)')
    .option('--json', 'print where the server listens as one JSON document')
    .action(action(ctx, async (c) => (await actions()).serveAction(c, io)));
  server.addHelpText('after', SERVER_NOTES);

  const token = defineCommand('token', "the server's API tokens: create, list, revoke (also while it runs)", [
    ['riffle server token create --role operator --name ci', 'a token for CI'],
    ['riffle server token list --json', 'the tokens (never their secrets)'],
  ]).usage('<create|list|revoke> [options]');
  token.addCommand(
    defineCommand('create', 'create a token with a role; the token is printed once, on the last line', [
      ['riffle server token create --role viewer --dir .riffle/server', 'a read-only token'],
    ])
      .addOption(new Option('--role <role>', 'what the token may do').choices(['viewer', 'operator', 'developer', 'admin']).makeOptionMandatory())
      .option('--name <name>', 'a name to recognise it by in listings')
      .option('--namespace <list>', 'limit the token to these namespaces of jobs and DAGs (comma-separated; default all)')
      .action(action(ctx, async (c) => (await actions()).tokenCreateAction(c, io))),
  );
  token.addCommand(defineCommand('list', 'the tokens: id, role, name, created, revoked (never the secrets)', [['riffle server token list', 'as a table']]).action(action(ctx, async (c) => (await actions()).tokenListAction(c, io))));
  token.addCommand(
    defineCommand('revoke', 'revoke a token by id (a running server refuses it from its next request)', [['riffle server token revoke tok_1a2b3c4d5e6f', 'that token']])
      .argument('<id>', 'the token id (riffle server token list shows them)')
      .action(action(ctx, async (c) => (await actions()).tokenRevokeAction(c, io))),
  );
  server.addCommand(token);
  return server;
}
