// A standalone Flink cluster on loopback for the portable cluster tests and scripts/flink-cluster.sh: a JobManager
// (`StandaloneSessionClusterEntrypoint`) and TaskManagers (`TaskManagerRunner`), each its own JVM, started from the
// classpath of Beam's Flink job server that `resolveJobServerJars` (src/runner/portable/job-server.ts) resolves from
// Maven Central into the cache: its flink-runtime / flink-clients / flink-streaming-java / flink-rpc-akka-loader jars
// (1.19.0, the version Beam 2.62.0's Flink runner declares; flink-dist is not served) plus Beam's runner classes, so
// the cluster runs the same Flink as the job server that submits to it, and Beam's classes load parent-first.
//
// The configuration is written to `<dir>/conf/flink-conf.yaml`; Flink's own `BashJavaUtils` (in flink-runtime, what
// flink-dist's start scripts call) derives each process's JVM memory flags and dynamic properties from it, as the
// scripts do. Ports: the JobManager's RPC and REST ports are chosen free on 127.0.0.1; everything else binds port 0.
// Heartbeats are short (2 s / 30 s) so a killed TaskManager is noticed quickly, and the restart strategy is
// fixed-delay (5 attempts, 2 s) so a job survives losing one. Logs: `<dir>/jobmanager.log`, `<dir>/taskmanager-N.log`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { resolveJobServerJars } from '../../src/runner/portable/index.ts';

export interface ClusterOptions {
  /** Working directory: configuration, logs, checkpoints. */
  readonly dir: string;
  readonly taskManagers: number;
  /** Slots per TaskManager (default 1). */
  readonly slots?: number;
  /** More flink-conf.yaml entries (they win over the defaults). */
  readonly config?: Readonly<Record<string, string | number>>;
  readonly log?: (line: string) => void;
}

export interface TaskManager {
  readonly index: number;
  readonly pid: number;
  readonly logFile: string;
}

export interface FlinkCluster {
  /** `127.0.0.1:<rest port>`: what `--flink-master` takes. */
  readonly restAddress: string;
  readonly taskManagers: readonly TaskManager[];
  /** Starts one more TaskManager (e.g. a replacement: standalone mode does not restart a lost one). */
  startTaskManager(): TaskManager;
  /** SIGKILLs a TaskManager and the processes it started (the harnesses Flink started for its tasks). */
  killTaskManager(tm: TaskManager): number[];
  /** GET on the REST API (`/overview`, `/jobs/overview`, …). */
  rest<T>(path: string): Promise<T>;
  /** Each job's state and its root exceptions (Flink's own), for failure messages. */
  failures(): Promise<string>;
  /** Resolves once `n` TaskManagers are registered (default: every one started and alive). */
  waitForTaskManagers(n?: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Every live process whose parent chain leads to `root` (root excluded). */
export function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited while listed
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, ppid] of parent) if (ppid === pid) { out.push(child); walk(child); }
  };
  walk(root);
  return out;
}

/** `BashJavaUtils` output: [JVM flags, dynamic properties]. */
function memoryParams(lib: string, confDir: string, command: 'GET_TM_RESOURCE_PARAMS' | 'GET_JM_RESOURCE_PARAMS'): [string[], string[]] {
  const r = spawnSync('java', ['-cp', `${lib}/*`, 'org.apache.flink.runtime.util.bash.BashJavaUtils', command, '--configDir', confDir], { encoding: 'utf8' });
  const results = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.startsWith('BASH_JAVA_UTILS_EXEC_RESULT:')).map((l) => l.slice('BASH_JAVA_UTILS_EXEC_RESULT:'.length).trim());
  if (results.length < 2) throw new Error(`Flink's BashJavaUtils ${command} printed no result (exit ${r.status}): ${`${r.stdout}${r.stderr}`.split('\n').slice(-5).join(' | ')}`);
  return [results[0]!.split(/\s+/).filter(Boolean), results[1]!.split(/\s+/).filter(Boolean)];
}

/** Starts a JobManager and `taskManagers` TaskManagers; resolves once every TaskManager is registered. */
export async function startFlinkCluster(opts: ClusterOptions): Promise<FlinkCluster> {
  const { lib } = resolveJobServerJars({ ...(opts.log ? { log: opts.log } : {}) });
  const confDir = join(opts.dir, 'conf');
  mkdirSync(confDir, { recursive: true });
  const [rpcPort, restPort] = [await freePort(), await freePort()];
  const config: Record<string, string | number> = {
    'jobmanager.rpc.address': '127.0.0.1',
    'jobmanager.rpc.port': rpcPort,
    'jobmanager.bind-host': '127.0.0.1',
    'rest.address': '127.0.0.1',
    'rest.bind-address': '127.0.0.1',
    'rest.port': restPort,
    'taskmanager.host': '127.0.0.1',
    'taskmanager.bind-host': '127.0.0.1',
    'taskmanager.numberOfTaskSlots': opts.slots ?? 1,
    'jobmanager.memory.process.size': '768m',
    'taskmanager.memory.process.size': '1536m',
    'taskmanager.memory.managed.fraction': '0.2',
    'classloader.resolve-order': 'parent-first',
    // A loaded 2-core machine starts a JVM's actor system in more than Pekko's default 10 s (seen: the JobManager
    // exited with "Could not create actor system … Futures timed out after [10000 milliseconds]").
    'pekko.startup-timeout': '120 s',
    'pekko.ask.timeout': '60 s',
    'pekko.tcp.timeout': '60 s',
    'heartbeat.interval': 2000,
    'heartbeat.timeout': 30000,
    'restart-strategy.type': 'fixed-delay',
    'restart-strategy.fixed-delay.attempts': 5,
    'restart-strategy.fixed-delay.delay': '2 s',
    'io.tmp.dirs': join(opts.dir, 'tmp'),
    'state.checkpoints.dir': `file://${join(opts.dir, 'checkpoints')}`,
    ...opts.config,
  };
  mkdirSync(join(opts.dir, 'tmp'), { recursive: true });
  writeFileSync(join(confDir, 'flink-conf.yaml'), Object.entries(config).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n');
  const children: ChildProcess[] = [];
  const launch = (jvm: string[], main: string, dynamic: string[], logFile: string): ChildProcess => {
    const fd = openSync(logFile, 'a');
    const child = spawn('java', [...jvm, '-cp', `${lib}/*`, main, '--configDir', confDir, ...dynamic], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    children.push(child);
    return child;
  };
  const [jmJvm, jmDynamic] = memoryParams(lib, confDir, 'GET_JM_RESOURCE_PARAMS');
  const [tmJvm, tmDynamic] = memoryParams(lib, confDir, 'GET_TM_RESOURCE_PARAMS');
  const jobManager = launch(jmJvm, 'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint', jmDynamic, join(opts.dir, 'jobmanager.log'));
  const taskManagers: TaskManager[] = [];
  const live = new Set<number>();
  const restAddress = `127.0.0.1:${restPort}`;
  const cluster: FlinkCluster = {
    restAddress,
    taskManagers,
    startTaskManager() {
      const index = taskManagers.length + 1;
      const logFile = join(opts.dir, `taskmanager-${index}.log`);
      const child = launch(tmJvm, 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner', tmDynamic, logFile);
      const tm = { index, pid: child.pid!, logFile };
      live.add(tm.pid);
      child.once('exit', () => live.delete(tm.pid));
      taskManagers.push(tm);
      opts.log?.(`TaskManager ${index} started (pid ${tm.pid})`);
      return tm;
    },
    killTaskManager(tm) {
      const pids = [tm.pid, ...descendants(tm.pid)];
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      live.delete(tm.pid);
      opts.log?.(`TaskManager ${tm.index} killed (pids ${pids.join(', ')})`);
      return pids;
    },
    async rest<T>(path: string): Promise<T> {
      const res = await fetch(`http://${restAddress}${path}`);
      if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
      return (await res.json()) as T;
    },
    async failures() {
      try {
        const { jobs } = await cluster.rest<{ jobs: Array<{ jid: string; state: string }> }>('/jobs/overview');
        const lines: string[] = [];
        for (const j of jobs) {
          const ex = await cluster.rest<{ exceptionHistory?: { entries?: Array<{ exceptionName: string; stacktrace: string; taskManagerLocation?: string }> } }>(`/jobs/${j.jid}/exceptions`);
          lines.push(`job ${j.jid} ${j.state}`);
          for (const e of ex.exceptionHistory?.entries ?? []) lines.push(`  ${e.taskManagerLocation ?? ''} ${e.stacktrace.split('\n').slice(0, 3).join(' | ')}`);
        }
        return lines.join('\n');
      } catch (e) {
        return `(the cluster's REST API: ${(e as Error).message})`;
      }
    },
    async waitForTaskManagers(n = live.size, timeoutMs = 180_000) {
      const until = Date.now() + timeoutMs;
      let last = 'the REST API did not answer';
      while (Date.now() < until) {
        if (jobManager.exitCode !== null || jobManager.signalCode !== null) {
          const log = readFileSync(join(opts.dir, 'jobmanager.log'), 'utf8').split('\n');
          const why = log.find((l) => /Exception:|ERROR/.test(l) && !/Classpath/.test(l)) ?? 'no error in its log';
          throw new Error(`the Flink JobManager exited (${jobManager.exitCode ?? jobManager.signalCode}): ${why.slice(0, 400)}; logs in ${opts.dir}`);
        }
        try {
          const o = await cluster.rest<{ taskmanagers: number }>('/overview');
          if (o.taskmanagers === n) return;
          last = `${o.taskmanagers} TaskManagers registered`;
        } catch (e) {
          last = (e as Error).message;
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
      throw new Error(`the Flink cluster at ${restAddress} did not have ${n} TaskManagers within ${timeoutMs / 1000} s (${last}); logs in ${opts.dir}`);
    },
    async stop() {
      const exits = children.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => {
        const stray = descendants(c.pid!);
        c.kill('SIGTERM');
        return new Promise<void>((resolve) => {
          const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
          c.once('exit', () => {
            clearTimeout(timer);
            for (const pid of stray) {
              try {
                process.kill(pid, 'SIGKILL');
              } catch {
                // exited with its TaskManager
              }
            }
            resolve();
          });
        });
      });
      await Promise.all(exits);
    },
  };
  for (let i = 0; i < opts.taskManagers; i++) cluster.startTaskManager();
  try {
    await cluster.waitForTaskManagers(opts.taskManagers);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  opts.log?.(`Flink cluster at ${restAddress}: 1 JobManager, ${opts.taskManagers} TaskManagers (logs in ${opts.dir})`);
  return cluster;
}
