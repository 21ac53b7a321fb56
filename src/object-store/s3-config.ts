/**
 * Where an S3-compatible store is and how to sign for it: from options, else the environment variables AWS tools
 * and delta-rs read (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION,
 * AWS_ALLOW_HTTP). Without an endpoint the store is AWS itself (virtual-hosted `https://<bucket>.s3.<region>…`); with
 * one (MinIO, moto, R2, Ceph…) requests are path-style `<endpoint>/<bucket>/<key>`.
 */
import { ObjectStoreError } from './object-store.ts';

/**
 * Settings of the S3 client; each defaults to its environment variable.
 *
 * @example
 * const o: S3Options = { endpoint: 'http://127.0.0.1:9000', allowHttp: true, region: 'us-east-1' };
 */
export interface S3Options {
  /** AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL. */
  readonly endpoint?: string;
  /** AWS_REGION or AWS_DEFAULT_REGION; default us-east-1. */
  readonly region?: string;
  /** AWS_ACCESS_KEY_ID. */
  readonly accessKeyId?: string;
  /** AWS_SECRET_ACCESS_KEY. */
  readonly secretAccessKey?: string;
  /** AWS_SESSION_TOKEN. */
  readonly sessionToken?: string;
  /** AWS_ALLOW_HTTP (`true`): plain-HTTP endpoints are refused without it, as delta-rs does. */
  readonly allowHttp?: boolean;
}

/** The settings resolved: every field known. */
export interface S3Settings {
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string | undefined;
}

const KEYS = ['endpoint', 'region', 'accessKeyId', 'secretAccessKey', 'sessionToken', 'allowHttp'];

/**
 * Resolves S3 settings from options and the environment. Throws `OBJECT_STORE_CONFIG` for an unknown option, a
 * missing credential or a plain-HTTP endpoint without AWS_ALLOW_HTTP — naming the variable, never its value.
 *
 * @example
 * const s = s3Settings({}, process.env);
 */
export function s3Settings(options: S3Options = {}, env: NodeJS.ProcessEnv = process.env): S3Settings {
  for (const k of Object.keys(options)) {
    if (!KEYS.includes(k)) throw new ObjectStoreError('OBJECT_STORE_CONFIG', `S3 option '${k}' is not known`, { domain: 'user', hint: `options are ${KEYS.join(', ')}` });
  }
  const endpoint = options.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const accessKeyId = options.accessKeyId ?? env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = options.secretAccessKey ?? env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new ObjectStoreError('OBJECT_STORE_CONFIG', `S3 credentials are missing: ${!accessKeyId ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'} is not set`, {
      domain: 'user', hint: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials)',
    });
  }
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new ObjectStoreError('OBJECT_STORE_CONFIG', `the S3 endpoint '${endpoint.slice(0, 200)}' (AWS_ENDPOINT_URL) is not a URL`, { domain: 'user', hint: 'give it as http(s)://host:port' });
    }
    if (url.username !== '' || url.password !== '') throw new ObjectStoreError('OBJECT_STORE_CONFIG', 'the S3 endpoint (AWS_ENDPOINT_URL) holds a user name or password', { domain: 'user', hint: 'give credentials as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY' });
    const allowHttp = options.allowHttp ?? /^(1|true|yes)$/i.test(env.AWS_ALLOW_HTTP ?? '');
    if (url.protocol === 'http:' && !allowHttp) {
      throw new ObjectStoreError('OBJECT_STORE_CONFIG', `the S3 endpoint ${url.origin} is plain HTTP`, { domain: 'user', hint: 'set AWS_ALLOW_HTTP=true to allow it (a local test server), or use https' });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ObjectStoreError('OBJECT_STORE_CONFIG', `the S3 endpoint must be http(s), not ${url.protocol}`, { domain: 'user' });
  }
  return {
    endpoint: endpoint?.replace(/\/+$/, ''),
    region: options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    accessKeyId,
    secretAccessKey,
    sessionToken: options.sessionToken ?? env.AWS_SESSION_TOKEN,
  };
}
