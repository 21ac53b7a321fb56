/**
 * Task logs in an object store (Airflow's `remote_base_log_folder`): a task attempt's log is written to the metadata
 * store while it runs (so `riffle dag logs` follows it), uploaded to `<folder>/<dag>/<run>/<task>/<map>/<try>.log` when
 * the attempt ends (the scheduler does it once the outcome is recorded), and read from there by `riffle dag logs` and
 * the server when the metadata store has none — another host's store, or one cleaned since. The project setting is
 * `remoteLogFolder` (env RIFFLE_REMOTE_LOG_FOLDER): an `s3://`, `az://` or `abfss://` URL.
 */
import { ConfigError } from '../model/index.ts';
import { isObjectStoreUrl, openObjectStore, type ObjectStore } from '../object-store/index.ts';
import type { MetadataStore, TaskInstanceKey } from './metadata-store.ts';

/** An id as one key segment: percent-encoded, and never '.' or '..' (a DAG or run id cannot leave its folder). */
function segment(id: string): string {
  const s = encodeURIComponent(id);
  return s === '.' ? '%2E' : s === '..' ? '%2E%2E' : s;
}

/**
 * The folder of task logs in an object store.
 *
 * @example
 *   const logs = new RemoteLogFolder('s3://ops/riffle-logs');
 *   await logs.upload({ dagId: 'etl', runId: 'manual__2026-12-07', taskId: 'load', mapIndex: -1 }, 1, text);
 */
export class RemoteLogFolder {
  readonly url: string;
  readonly #store: ObjectStore;

  constructor(url: string) {
    if (!isObjectStoreUrl(url)) {
      throw new ConfigError(`remoteLogFolder must be an object-store URL, got '${url.slice(0, 200)}'`, {
        hint: 'use s3://bucket/prefix, az://container/prefix or abfss://container@account.dfs.core.windows.net/prefix; local logs stay in the metadata store',
      });
    }
    this.url = url.replace(/\/+$/, '');
    this.#store = openObjectStore(this.url);
  }

  /** The key of an attempt's log, relative to the folder. */
  key(k: TaskInstanceKey, tryNumber: number): string {
    return `${segment(k.dagId)}/${segment(k.runId)}/${segment(k.taskId)}/${k.mapIndex}/${tryNumber}.log`;
  }

  /** Uploads an attempt's whole log (replacing an earlier upload of the same attempt). */
  async upload(k: TaskInstanceKey, tryNumber: number, text: string): Promise<void> {
    await this.#store.put(this.key(k, tryNumber), text);
  }

  /** An attempt's uploaded log, or undefined when none was uploaded. */
  async read(k: TaskInstanceKey, tryNumber: number): Promise<string | undefined> {
    const bytes = await this.#store.get(this.key(k, tryNumber));
    return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
  }
}

/**
 * The metadata store with logs read from the remote folder when it holds none for an attempt (every other call goes
 * to `store`).
 *
 * @example
 *   const store = withRemoteLogs(await openMetadataStore('.riffle/orchestrator'), new RemoteLogFolder('s3://ops/logs'));
 *   await store.readLog(key, 1); // local text, else the uploaded one
 */
export function withRemoteLogs(store: MetadataStore, folder: RemoteLogFolder | undefined): MetadataStore {
  if (folder === undefined) return store;
  const readLog = async (k: TaskInstanceKey, tryNumber: number): Promise<string> => {
    const local = await store.readLog(k, tryNumber);
    if (local !== '') return local;
    return (await folder.read(k, tryNumber)) ?? '';
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'readLog') return readLog;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
