/**
 * The object-store port on an Azure Blob container, through @azure/storage-blob (loaded on first use). Put-if-absent
 * is an upload with `If-None-Match: *`: the service refuses it (409 BlobAlreadyExists, or 412) when the blob exists.
 * Objects are block blobs uploaded in one request, so a reader sees the old or the new blob whole.
 */
import { type AzureOptions, type AzureSettings, azureSettings } from './azure-config.ts';
import { checkKey, type ObjectMeta, type ObjectStore, ObjectStoreError, redact, toBytes } from './object-store.ts';

type ContainerClient = import('@azure/storage-blob').ContainerClient;
let sdk: Promise<typeof import('@azure/storage-blob')> | undefined;

interface RestErrorLike { statusCode?: number; code?: string; message?: string }

/**
 * An Azure Blob container as an object store.
 *
 * @example
 * const store = new AzureObjectStore('lake', { connectionString: 'UseDevelopmentStorage=true' });
 * await store.put('hello.txt', 'hi');
 */
export class AzureObjectStore implements ObjectStore {
  readonly url: string;
  readonly container: string;
  /** Private, so that no JSON or inspection of the store shows the secret. */
  readonly #settings: AzureSettings;
  #client: Promise<ContainerClient> | undefined;

  constructor(container: string, options: AzureOptions = {}, env: NodeJS.ProcessEnv = process.env, urlAccount?: string) {
    if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/.test(container)) {
      throw new ObjectStoreError('OBJECT_STORE_CONFIG', `'${container.slice(0, 100)}' is not an Azure container name`, { domain: 'user', hint: 'container names are 3–63 lower-case letters, digits and single hyphens' });
    }
    this.container = container;
    this.#settings = azureSettings(options, env, urlAccount);
    this.url = `az://${container}`;
  }

  #containerOnce(): Promise<ContainerClient> {
    const s = this.#settings;
    return (this.#client ??= (sdk ??= import('@azure/storage-blob')).then((m) => {
      try {
        const service = s.kind === 'connection-string'
          ? m.BlobServiceClient.fromConnectionString(s.connectionString)
          : new m.BlobServiceClient(s.endpoint, new m.StorageSharedKeyCredential(s.accountName, s.accountKey));
        return service.getContainerClient(this.container);
      } catch {
        // The SDK's message may quote the connection string: never repeat it.
        throw new ObjectStoreError('OBJECT_STORE_CONFIG', `the Azure ${s.kind === 'connection-string' ? 'connection string (AZURE_STORAGE_CONNECTION_STRING)' : 'account settings'} cannot be used`, {
          domain: 'user', hint: 'it looks like DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;EndpointSuffix=core.windows.net (or UseDevelopmentStorage=true)',
        });
      }
    }));
  }

  #fail(what: string, key: string, e: unknown): never {
    const r = e as RestErrorLike;
    if (r.statusCode === undefined) {
      throw new ObjectStoreError('OBJECT_STORE_UNREACHABLE', `${what} ${this.url}/${key}: the Azure endpoint could not be reached (${redact(String(r.message ?? e).split('\n')[0]).slice(0, 300)})`, {
        hint: 'check AZURE_STORAGE_CONNECTION_STRING / AZURE_STORAGE_ENDPOINT and that the service is up',
      });
    }
    const hint = r.statusCode === 403 ? 'check the account key or SAS' : r.code === 'ContainerNotFound' ? `create the container ${this.container} first` : undefined;
    throw new ObjectStoreError(r.statusCode === 403 ? 'OBJECT_STORE_DENIED' : 'OBJECT_STORE_REQUEST_FAILED',
      `${what} ${this.url}/${key} failed: HTTP ${r.statusCode}${r.code ? ` (${r.code})` : ''}`, { status: r.statusCode, hint });
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    checkKey(key);
    const container = await this.#containerOnce();
    try {
      return new Uint8Array(await container.getBlobClient(key).downloadToBuffer());
    } catch (e) {
      if ((e as RestErrorLike).statusCode === 404) return undefined;
      return this.#fail('get', key, e);
    }
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    checkKey(key);
    if (end <= start) return new Uint8Array(0);
    const container = await this.#containerOnce();
    let bytes: Buffer;
    try {
      bytes = await container.getBlobClient(key).downloadToBuffer(start, end - start);
    } catch (e) {
      if ((e as RestErrorLike).statusCode === 404) throw new ObjectStoreError('OBJECT_NOT_FOUND', `object ${this.url}/${key} does not exist`, { status: 404 });
      return this.#fail('range get', key, e);
    }
    if (bytes.byteLength !== end - start) throw new ObjectStoreError('OBJECT_TRUNCATED', `object ${this.url}/${key}: bytes ${start}–${end} asked, ${bytes.byteLength} received`);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async head(key: string): Promise<ObjectMeta | undefined> {
    checkKey(key);
    const container = await this.#containerOnce();
    try {
      const p = await container.getBlobClient(key).getProperties();
      return { key, size: p.contentLength ?? 0, lastModified: p.lastModified?.getTime() ?? 0 };
    } catch (e) {
      if ((e as RestErrorLike).statusCode === 404) return undefined;
      return this.#fail('head', key, e);
    }
  }

  async put(key: string, data: Uint8Array | string): Promise<void> {
    checkKey(key);
    const container = await this.#containerOnce();
    const body = toBytes(data);
    try {
      await container.getBlockBlobClient(key).uploadData(body);
    } catch (e) {
      return this.#fail('put', key, e);
    }
  }

  async putIfAbsent(key: string, data: Uint8Array | string): Promise<boolean> {
    checkKey(key);
    const container = await this.#containerOnce();
    const body = toBytes(data);
    try {
      // One Put Blob request (no block staging), so the condition covers the whole upload.
      await container.getBlockBlobClient(key).upload(body, body.byteLength, { conditions: { ifNoneMatch: '*' } });
      return true;
    } catch (e) {
      const r = e as RestErrorLike;
      if (r.statusCode === 409 || r.statusCode === 412) return false;
      return this.#fail('put-if-absent', key, e);
    }
  }

  async list(prefix: string): Promise<ObjectMeta[]> {
    if (prefix !== '') checkKey(prefix, true);
    const container = await this.#containerOnce();
    const out: ObjectMeta[] = [];
    try {
      for await (const blob of container.listBlobsFlat(prefix !== '' ? { prefix } : {})) {
        out.push({ key: blob.name, size: blob.properties.contentLength ?? 0, lastModified: blob.properties.lastModified?.getTime() ?? 0 });
      }
    } catch (e) {
      return this.#fail('list', prefix, e);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    const container = await this.#containerOnce();
    try {
      await container.getBlobClient(key).deleteIfExists();
    } catch (e) {
      return this.#fail('delete', key, e);
    }
  }

  /** Creates the container (tests and first-time setup); an existing one is not an error. */
  async createContainer(): Promise<void> {
    const container = await this.#containerOnce();
    try {
      await container.createIfNotExists();
    } catch (e) {
      return this.#fail('create container', '', e);
    }
  }
}
