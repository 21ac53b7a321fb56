/**
 * The actions of `riffle server` and `riffle server token ...` (definitions: server-command.ts).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ExitCode, UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import type { Command } from './command-kit.ts';
import { packageVersion } from './program.ts';
import { projectDefaults } from './project-defaults.ts';
import { formatTable } from './table.ts';

const DEFAULT_DIR = '.riffle/server';

interface ServerOptions {
  dir?: string;
  port?: string;
  host?: string;
  project?: string;
  dags?: string;
  store?: string;
  json?: boolean;
  role?: 'viewer' | 'operator' | 'developer' | 'admin';
  name?: string;
  namespace?: string;
  alerts?: string;
  qualityStore?: string;
  dataDocs?: string;
  bus?: string;
  tables?: string;
}

const optionsOf = (c: Command) => c.optsWithGlobals<ServerOptions>();
const dirOf = (o: ServerOptions, io: CliIO) => resolve(io.cwd, o.dir ?? DEFAULT_DIR);

function portOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0 && n <= 65535)) throw new UsageError(`--port takes a port number from 0 to 65535 (got '${value}')`, { hint: 'e.g. --port 8080; 0 picks a free one' });
  return n;
}

/** `riffle server`: serves until SIGINT/SIGTERM, then cancels the running jobs and stops. */
export async function serveAction(c: Command, io: CliIO): Promise<number> {
  const o = optionsOf(c);
  const port = portOf(o.port);
  const { startRiffleServer, ADMIN_TOKEN_ENV } = await import('../server/index.ts');
  if (o.store !== undefined) {
    const { parseStoreSpec } = await import('../orchestrator/index.ts');
    try {
      parseStoreSpec(o.store);
    } catch (e) {
      throw new UsageError(`--store: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, { hint: 'a directory, or postgres://user[:password]@host[:port]/database[?schema=name]' });
    }
  }
  const adminToken = io.env[ADMIN_TOKEN_ENV];
  if (o.dags !== undefined && o.dags.trim() === '') throw new UsageError('--dags takes a folder');
  const project = resolve(io.cwd, o.project ?? '.');
  if (!statSync(project, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--project ${o.project ?? '.'}: no such directory`, { hint: 'give the directory that holds the pipeline modules' });
  const { remoteLogFolder } = await projectDefaults(c, io);
  const server = await startRiffleServer({
    dir: dirOf(o, io), projectDir: project, ...(port !== undefined ? { port } : {}), ...(o.host !== undefined ? { host: o.host } : {}),
    ...(o.store !== undefined ? { store: o.store } : {}), ...(o.dags !== undefined ? { dags: o.dags } : {}), ...(adminToken !== undefined ? { adminToken } : {}),
    ...(o.alerts !== undefined ? { alerts: resolve(io.cwd, o.alerts) } : {}), ...(o.qualityStore !== undefined ? { qualityStore: resolve(io.cwd, o.qualityStore) } : {}),
    ...(o.dataDocs !== undefined ? { dataDocs: resolve(io.cwd, o.dataDocs) } : {}), ...(o.bus !== undefined ? { bus: o.bus, ...(io.env.RIFFLE_BUS_TOKEN !== undefined ? { busToken: io.env.RIFFLE_BUS_TOKEN } : {}) } : {}),
    ...(o.tables !== undefined ? { tables: resolve(io.cwd, o.tables) } : {}), ...(remoteLogFolder !== undefined ? { remoteLogFolder } : {}),
    version: packageVersion(), log: (line) => io.err(`riffle server: ${line}`),
  });
  const stopped = new Promise<NodeJS.Signals>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  if (o.json) io.out(JSON.stringify({ url: server.url, dir: server.dir, adminToken: server.seededAdmin?.id ?? null }));
  else io.out(`riffle server: serving ${server.dir} at ${server.url}${server.seededAdmin ? ` (admin token ${server.seededAdmin.id} from $${ADMIN_TOKEN_ENV})` : ''}; Ctrl-C stops`);
  const signal = await stopped;
  const now = (s: NodeJS.Signals) => process.exit(s === 'SIGTERM' ? ExitCode.terminated : ExitCode.cancelled);
  process.once('SIGINT', now);
  process.once('SIGTERM', now);
  io.err(`riffle server: ${signal}: stopping (running jobs are cancelled; again to stop at once)`);
  await server.close();
  io.err('riffle server: stopped');
  return ExitCode.ok;
}

/** `riffle server token create --role R [--name N]`: the token on the last line (or --json). */
export async function tokenCreateAction(c: Command, io: CliIO): Promise<number> {
  const o = optionsOf(c);
  const { createToken, serverPaths } = await import('../server/index.ts');
  const { mkdirSync } = await import('node:fs');
  const paths = serverPaths(dirOf(o, io));
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  let namespaces: string[] | null = null;
  if (o.namespace !== undefined) {
    namespaces = o.namespace.split(',').map((n) => n.trim()).filter((n) => n !== '');
    const bad = namespaces.find((n) => !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(n));
    if (namespaces.length === 0 || bad !== undefined) throw new UsageError(`--namespace: '${bad ?? o.namespace}' is not a namespace`, { hint: 'letters, digits, . _ - (at most 63), comma-separated: --namespace team-a,team-b' });
  }
  const { token, record } = createToken(paths.tokens, o.role!, o.name ?? null, namespaces);
  if (o.json) io.out(JSON.stringify({ ...record, token }, null, 2));
  else {
    io.err(`created token ${record.id} (role ${record.role}${record.namespaces !== null ? `, namespaces ${record.namespaces.join(', ')}` : ''}) in ${paths.tokens}; it is shown once:`);
    io.out(token);
  }
  return ExitCode.ok;
}

/** `riffle server token list`. */
export async function tokenListAction(c: Command, io: CliIO): Promise<number> {
  const o = optionsOf(c);
  const { TokenStore, serverPaths } = await import('../server/index.ts');
  const tokens = new TokenStore(serverPaths(dirOf(o, io)).tokens).list();
  if (o.json) io.out(JSON.stringify({ tokens }, null, 2));
  else io.out(tokens.length === 0 ? 'no tokens (riffle server token create --role viewer makes one)' : formatTable(['id', 'role', 'name', 'created', 'revoked'], tokens.map((t) => [t.id, t.role, t.name ?? '', t.createdAt, t.revokedAt ?? ''])));
  return ExitCode.ok;
}

/** `riffle server token revoke <id>`. */
export async function tokenRevokeAction(c: Command, io: CliIO): Promise<number> {
  const o = optionsOf(c);
  const [id] = c.processedArgs as [string];
  const { revokeToken, serverPaths } = await import('../server/index.ts');
  if (!revokeToken(serverPaths(dirOf(o, io)).tokens, id)) throw new UsageError(`no active token '${id}'`, { hint: 'riffle server token list shows the tokens' });
  io.out(o.json ? JSON.stringify({ id, revoked: true }) : `revoked ${id}`);
  return ExitCode.ok;
}
