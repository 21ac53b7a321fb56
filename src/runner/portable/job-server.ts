/**
 * Beam's Flink job server, from Maven Central's jars. The shaded `beam-runners-flink-1.19-job-server` jar is not
 * served here, so its classes are resolved as `beam-runners-flink-1.19` + `beam-runners-java-job-service` with their
 * transitive dependencies (Maven, `dependency:copy-dependencies` over a generated pom) into a cache, once; the job
 * server is then `org.apache.beam.runners.flink.FlinkJobServerDriver` on that classpath, on loopback with ports
 * chosen by the system (job, artifact staging and expansion services), running jobs on `--flink-master` (`[local]`:
 * an embedded Flink mini cluster in the job server's JVM).
 * @example
 *   const server = await startFlinkJobServer({ flinkMaster: '[local]' });
 *   // ... JobClient(server.jobEndpoint) ...
 *   await server.stop();
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, RiffleError } from '../../model/index.ts';

export const BEAM_VERSION = '2.62.0';
export const FLINK_MINOR = '1.19';
const MAIN_CLASS = 'org.apache.beam.runners.flink.FlinkJobServerDriver';

export interface JobServerJars {
  /** The directory of the jars (the classpath is `<lib>/*`). */
  readonly lib: string;
  /** Milliseconds spent downloading them (0 when they were cached). */
  readonly fetchMs: number;
  readonly jars: number;
}

/** The cache root: $RIFFLE_CACHE, else ~/.cache/riffle. */
export function riffleCacheDir(): string {
  return process.env.RIFFLE_CACHE ?? join(homedir(), '.cache', 'riffle');
}

function requireTool(tool: string, args: string[], hint: string): void {
  const r = spawnSync(tool, args, { stdio: 'ignore' });
  if (r.error !== undefined || r.status !== 0) throw new ConfigError(`the Flink job server needs '${tool}', which is not available here`, { hint });
}

/**
 * Resolves the job server's jars into the cache (first use: Maven downloads them; later: nothing). Progress lines go
 * to `log`.
 */
export function resolveJobServerJars(opts: { cacheDir?: string; log?: (line: string) => void } = {}): JobServerJars {
  const dir = join(opts.cacheDir ?? riffleCacheDir(), 'beam-job-server', `${BEAM_VERSION}-flink-${FLINK_MINOR}`);
  const lib = join(dir, 'lib');
  if (existsSync(join(lib, '.complete'))) return { lib, fetchMs: 0, jars: readdirSync(lib).filter((f) => f.endsWith('.jar')).length };
  requireTool('mvn', ['-v'], 'install Maven (e.g. apt-get install maven): the job server is fetched from Maven Central on first use');
  mkdirSync(dir, { recursive: true });
  const dep = (a: string, v: string, g = 'org.apache.beam') => `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  writeFileSync(
    join(dir, 'pom.xml'),
    [
      '<project xmlns="http://maven.apache.org/POM/4.0.0">',
      '  <modelVersion>4.0.0</modelVersion>',
      '  <groupId>dev.riffle.portable</groupId><artifactId>flink-job-server</artifactId><version>1</version>',
      '  <dependencies>',
      dep(`beam-runners-flink-${FLINK_MINOR}`, BEAM_VERSION),
      dep('beam-runners-java-job-service', BEAM_VERSION),
      dep('slf4j-simple', '1.7.36', 'org.slf4j'),
      '  </dependencies>',
      '</project>',
      '',
    ].join('\n'),
  );
  opts.log?.(`fetching Beam's Flink job server (Beam ${BEAM_VERSION}, Flink ${FLINK_MINOR}) from Maven Central into ${lib} (first use only)`);
  const started = Date.now();
  rmSync(lib, { recursive: true, force: true });
  const r = spawnSync('mvn', ['-q', '-B', '-f', join(dir, 'pom.xml'), 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${lib}`], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new RiffleError('JOB_SERVER_FETCH_FAILED', `Maven could not fetch the Flink job server's jars (exit ${r.status})`, {
      domain: 'external',
      context: { output: `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').slice(-20).join('\n') },
      hint: 'check that Maven Central is reachable (and any proxy settings in ~/.m2/settings.xml)',
    });
  }
  writeFileSync(join(lib, '.complete'), '');
  return { lib, fetchMs: Date.now() - started, jars: readdirSync(lib).filter((f) => f.endsWith('.jar')).length };
}

export interface JobServerOptions {
  /** `[local]` (an embedded mini cluster, the default), `[auto]`, or a JobManager's `host:port`. */
  readonly flinkMaster?: string;
  readonly cacheDir?: string;
  /** JVM options (default: a 1 GiB heap). */
  readonly javaOptions?: readonly string[];
  /** How long to wait for the services to listen (default 120 s). */
  readonly startTimeoutMs?: number;
  /** Each line the job server logs, and Riffle's progress lines. */
  readonly log?: (line: string) => void;
}

export interface JobServer {
  /** host:port of the Job API. */
  readonly jobEndpoint: string;
  readonly artifactEndpoint: string;
  readonly expansionEndpoint: string;
  readonly fetchMs: number;
  /** Milliseconds from spawning the JVM to the Job API listening. */
  readonly startMs: number;
  readonly pid: number;
  /** The job server's last log lines (for error messages). */
  recentLog(): string[];
  stop(): Promise<void>;
}

const LISTENING = /(JobService|ArtifactStagingService|ExpansionService) started on (\S+)/;

/** Fetches (first use) and starts the Flink job server; resolves once its Job API listens. */
export async function startFlinkJobServer(opts: JobServerOptions = {}): Promise<JobServer> {
  requireTool('java', ['-version'], 'install Java 17 (e.g. apt-get install openjdk-17-jre-headless): Beam\'s Flink job server is a Java program');
  const jars = resolveJobServerJars({ ...(opts.cacheDir !== undefined ? { cacheDir: opts.cacheDir } : {}), ...(opts.log ? { log: opts.log } : {}) });
  const args = [
    ...(opts.javaOptions ?? ['-Xmx1g']),
    '-cp',
    `${jars.lib}/*`,
    MAIN_CLASS,
    '--job-host=127.0.0.1',
    '--job-port=0',
    '--artifact-port=0',
    '--expansion-port=0',
    `--flink-master=${opts.flinkMaster ?? '[local]'}`,
  ];
  const started = Date.now();
  const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const recent: string[] = [];
  const endpoints = new Map<string, string>();
  let onLine: (() => void) | undefined;
  const take = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      recent.push(line);
      if (recent.length > 200) recent.shift();
      opts.log?.(line);
      const m = LISTENING.exec(line);
      if (m) endpoints.set(m[1]!, m[2]!.replace(/^localhost:/, '127.0.0.1:'));
    }
    onLine?.();
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RiffleError('JOB_SERVER_START_TIMEOUT', `the Flink job server did not start within ${(opts.startTimeoutMs ?? 120_000) / 1000} s`, { domain: 'external', context: { log: recent.slice(-20).join('\n') } })), opts.startTimeoutMs ?? 120_000);
      onLine = () => {
        if (endpoints.has('JobService') && endpoints.has('ArtifactStagingService')) {
          clearTimeout(timer);
          resolve();
        }
      };
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new RiffleError('JOB_SERVER_EXITED', `the Flink job server exited (code ${code}) before it listened`, { domain: 'external', context: { log: recent.slice(-20).join('\n') } }));
      });
    });
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  onLine = undefined;
  return {
    jobEndpoint: endpoints.get('JobService')!,
    artifactEndpoint: endpoints.get('ArtifactStagingService')!,
    expansionEndpoint: endpoints.get('ExpansionService') ?? '',
    fetchMs: jars.fetchMs,
    startMs: Date.now() - started,
    pid: child.pid!,
    recentLog: () => [...recent],
    stop: () => stopProcess(child, exited),
  };
}

async function stopProcess(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
