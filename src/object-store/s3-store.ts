/**
 * The object-store port on an S3-compatible service (AWS S3, MinIO, moto, R2…), over `fetch` with SigV4 signing by
 * aws4fetch (loaded on first use, so importing Riffle loads no S3 code). Put-if-absent is a PUT with
 * `If-None-Match: *`: the service answers 412 when the key exists, so of two racing writers exactly one gets 200.
 *
 * Idempotent requests (GET, HEAD, LIST, PUT, DELETE) are retried on 5xx, 429 and network errors with backoff; a
 * conditional PUT is retried only on 409 (S3's "a conflicting conditional write is in flight"), since after a lost
 * answer another try could not tell a win from a loss.
 */
import { checkKey, type ObjectMeta, type ObjectStore, ObjectStoreError, redact, toBytes } from './object-store.ts';
import { type S3Options, type S3Settings, s3Settings } from './s3-config.ts';
import { xmlDecode, xmlElements, xmlText } from './xml-text.ts';

type AwsClient = import('aws4fetch').AwsClient;
let aws4: Promise<typeof import('aws4fetch')> | undefined;

const RETRIES = 4;

/** `encodeURIComponent` per segment, plus the characters SigV4 wants encoded. */
function encodeKey(key: string): string {
  return key.split('/').map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/');
}

/**
 * An S3 bucket as an object store (keys are the bucket's keys).
 *
 * @example
 * const store = new S3ObjectStore('lake', { endpoint: 'http://127.0.0.1:9000', allowHttp: true });
 * await store.put('hello.txt', 'hi');
 */
export class S3ObjectStore implements ObjectStore {
  readonly url: string;
  readonly bucket: string;
  /** Private, so that no JSON or inspection of the store shows the secret. */
  readonly #settings: S3Settings;
  #client: Promise<AwsClient> | undefined;

  constructor(bucket: string, options: S3Options = {}, env: NodeJS.ProcessEnv = process.env) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new ObjectStoreError('OBJECT_STORE_CONFIG', `'${bucket.slice(0, 100)}' is not an S3 bucket name`, { domain: 'user', hint: 'bucket names are 3–63 lower-case letters, digits, dots and hyphens' });
    }
    this.bucket = bucket;
    this.#settings = s3Settings(options, env);
    this.url = `s3://${bucket}`;
  }

  #clientOnce(): Promise<AwsClient> {
    const s = this.#settings;
    return (this.#client ??= (aws4 ??= import('aws4fetch')).then(({ AwsClient }) => new AwsClient({
      accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey, sessionToken: s.sessionToken, region: s.region, service: 's3', retries: 0,
    })));
  }

  /** The request URL of a key (or of the bucket, for listings). */
  #objectUrl(key: string, query = ''): string {
    const path = key === '' ? '' : `/${encodeKey(key)}`;
    const s = this.#settings;
    const base = s.endpoint !== undefined ? `${s.endpoint}/${this.bucket}` : `https://${this.bucket}.s3.${s.region}.amazonaws.com`;
    return `${base}${path}${query}`;
  }

  async #send(what: string, method: string, key: string, init: { query?: string; headers?: Record<string, string>; body?: Uint8Array; retry?: (status: number) => boolean; label?: string } = {}): Promise<Response> {
    const client = await this.#clientOnce();
    const retry = init.retry ?? ((status: number) => status >= 500 || status === 429);
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        const request = await client.sign(this.#objectUrl(key, init.query), { method, headers: init.headers, body: init.body });
        response = await fetch(request);
      } catch (cause) {
        if (attempt < RETRIES && init.retry === undefined) { await backoff(attempt); continue; }
        throw new ObjectStoreError('OBJECT_STORE_UNREACHABLE', `${what} ${this.url}/${init.label ?? key}: the S3 endpoint ${this.#origin()} could not be reached (${redact((cause as Error).message)})`, {
          cause, hint: 'check AWS_ENDPOINT_URL and that the service is up',
        });
      }
      if (response.status < 300 || response.status === 304 || response.status === 404 || response.status === 412 || !retry(response.status) || attempt >= RETRIES) return response;
      await response.arrayBuffer().catch(() => undefined);
      await backoff(attempt);
    }
  }

  #origin(): string {
    return this.#settings.endpoint ?? `https://${this.bucket}.s3.${this.#settings.region}.amazonaws.com`;
  }

  async #fail(what: string, key: string, response: Response): Promise<never> {
    const body = await response.text().catch(() => '');
    const code = xmlText(body, 'Code');
    const message = xmlText(body, 'Message');
    const detail = [code, message].filter((x) => x !== undefined && x !== '').join(': ');
    const hint = response.status === 403 ? 'check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and the bucket policy'
      : code === 'NoSuchBucket' ? `create the bucket ${this.bucket} first` : undefined;
    throw new ObjectStoreError(response.status === 403 ? 'OBJECT_STORE_DENIED' : 'OBJECT_STORE_REQUEST_FAILED',
      `${what} ${this.url}/${key} failed: HTTP ${response.status}${detail ? ` (${redact(detail).slice(0, 300)})` : ''}`, { status: response.status, hint });
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    checkKey(key);
    const response = await this.#send('get', 'GET', key);
    if (response.status === 404) { await response.arrayBuffer().catch(() => undefined); return undefined; }
    if (response.status !== 200) return this.#fail('get', key, response);
    return new Uint8Array(await response.arrayBuffer());
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    checkKey(key);
    if (end <= start) return new Uint8Array(0);
    const response = await this.#send('range get', 'GET', key, { headers: { range: `bytes=${start}-${end - 1}` } });
    if (response.status === 404) throw new ObjectStoreError('OBJECT_NOT_FOUND', `object ${this.url}/${key} does not exist`, { status: 404 });
    if (response.status !== 206 && response.status !== 200) return this.#fail('range get', key, response);
    const bytes = new Uint8Array(await response.arrayBuffer());
    // A server that ignores Range answers 200 with the whole object.
    const out = response.status === 200 ? bytes.subarray(start, end) : bytes;
    if (out.byteLength !== end - start) throw new ObjectStoreError('OBJECT_TRUNCATED', `object ${this.url}/${key}: bytes ${start}–${end} asked, ${out.byteLength} received (it changed while being read?)`);
    return out;
  }

  async head(key: string): Promise<ObjectMeta | undefined> {
    checkKey(key);
    const response = await this.#send('head', 'HEAD', key);
    if (response.status === 404) return undefined;
    if (response.status !== 200) return this.#fail('head', key, response);
    const size = Number(response.headers.get('content-length'));
    const modified = Date.parse(response.headers.get('last-modified') ?? '');
    return { key, size, lastModified: Number.isNaN(modified) ? 0 : modified };
  }

  async put(key: string, data: Uint8Array | string): Promise<void> {
    checkKey(key);
    const response = await this.#send('put', 'PUT', key, { body: toBytes(data) });
    if (response.status !== 200) return this.#fail('put', key, response);
    await response.arrayBuffer().catch(() => undefined);
  }

  async putIfAbsent(key: string, data: Uint8Array | string): Promise<boolean> {
    checkKey(key);
    const body = toBytes(data);
    const response = await this.#send('put-if-absent', 'PUT', key, { body, headers: { 'if-none-match': '*' }, retry: (status) => status === 409 });
    if (response.status === 412) { await response.arrayBuffer().catch(() => undefined); return false; }
    if (response.status === 501) {
      await response.arrayBuffer().catch(() => undefined);
      throw new ObjectStoreError('OBJECT_STORE_UNSUPPORTED', `put-if-absent on ${this.url}/${key}: the service does not implement conditional writes (If-None-Match: *), so concurrent Delta commits could overwrite each other`, {
        status: 501, hint: 'use a service with conditional writes (AWS S3, MinIO, recent moto), or one writer at a time',
      });
    }
    if (response.status !== 200) return this.#fail('put-if-absent', key, response);
    await response.arrayBuffer().catch(() => undefined);
    return true;
  }

  async list(prefix: string): Promise<ObjectMeta[]> {
    if (prefix !== '') checkKey(prefix, true);
    const out: ObjectMeta[] = [];
    let token: string | undefined;
    do {
      const query = `?list-type=2&prefix=${encodeURIComponent(prefix)}${token !== undefined ? `&continuation-token=${encodeURIComponent(token)}` : ''}`;
      const response = await this.#send('list', 'GET', '', { query, label: prefix });
      if (response.status !== 200) return this.#fail('list', prefix, response);
      const xml = await response.text();
      for (const entry of xmlElements(xml, 'Contents')) {
        const key = xmlText(entry, 'Key') as string;
        const modified = Date.parse(xmlText(entry, 'LastModified') ?? '');
        out.push({ key, size: Number(xmlText(entry, 'Size') ?? 0), lastModified: Number.isNaN(modified) ? 0 : modified });
      }
      token = xmlText(xml, 'IsTruncated') === 'true' ? xmlDecode(xmlElements(xml, 'NextContinuationToken')[0] ?? '') : undefined;
      if (token === '') token = undefined;
    } while (token !== undefined);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    const response = await this.#send('delete', 'DELETE', key);
    if (response.status !== 204 && response.status !== 200 && response.status !== 404) return this.#fail('delete', key, response);
    await response.arrayBuffer().catch(() => undefined);
  }

  /** Creates the bucket (tests and first-time setup); an existing bucket owned by the caller is not an error. */
  async createBucket(): Promise<void> {
    const response = await this.#send('create bucket', 'PUT', '');
    if (response.status === 200 || response.status === 409) { await response.arrayBuffer().catch(() => undefined); return; }
    return this.#fail('create bucket', '', response);
  }
}

function backoff(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random())));
}
