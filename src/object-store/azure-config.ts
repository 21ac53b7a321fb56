/**
 * How to reach an Azure Blob account: from options, else the environment variables Azure tools and delta-rs read —
 * AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT_NAME with AZURE_STORAGE_ACCOUNT_KEY (and
 * AZURE_STORAGE_ENDPOINT for a non-default endpoint such as Azurite's `http://127.0.0.1:10000/devstoreaccount1`).
 */
import { ObjectStoreError } from './object-store.ts';

/**
 * Settings of the Azure Blob client; each defaults to its environment variable.
 *
 * @example
 * const o: AzureOptions = { connectionString: 'UseDevelopmentStorage=true' };
 */
export interface AzureOptions {
  /** AZURE_STORAGE_CONNECTION_STRING (wins over the account name and key). */
  readonly connectionString?: string;
  /** AZURE_STORAGE_ACCOUNT_NAME (or the account of an `abfss://container@account.dfs.core.windows.net` URL). */
  readonly accountName?: string;
  /** AZURE_STORAGE_ACCOUNT_KEY. */
  readonly accountKey?: string;
  /** AZURE_STORAGE_ENDPOINT; default `https://<account>.blob.core.windows.net`. */
  readonly endpoint?: string;
}

/** The settings resolved: a connection string, or an account, key and endpoint. */
export type AzureSettings =
  | { readonly kind: 'connection-string'; readonly connectionString: string }
  | { readonly kind: 'shared-key'; readonly accountName: string; readonly accountKey: string; readonly endpoint: string };

const KEYS = ['connectionString', 'accountName', 'accountKey', 'endpoint'];

/**
 * Resolves Azure settings. Throws `OBJECT_STORE_CONFIG` for an unknown option or missing credentials, naming the
 * variables, never their values.
 *
 * @example
 * const s = azureSettings({}, process.env);
 */
export function azureSettings(options: AzureOptions = {}, env: NodeJS.ProcessEnv = process.env, urlAccount?: string): AzureSettings {
  for (const k of Object.keys(options)) {
    if (!KEYS.includes(k)) throw new ObjectStoreError('OBJECT_STORE_CONFIG', `Azure option '${k}' is not known`, { domain: 'user', hint: `options are ${KEYS.join(', ')}` });
  }
  const connectionString = options.connectionString ?? env.AZURE_STORAGE_CONNECTION_STRING;
  if (connectionString) return { kind: 'connection-string', connectionString };
  const accountName = options.accountName ?? urlAccount ?? env.AZURE_STORAGE_ACCOUNT_NAME;
  const accountKey = options.accountKey ?? env.AZURE_STORAGE_ACCOUNT_KEY ?? env.AZURE_STORAGE_ACCESS_KEY;
  if (!accountName || !accountKey) {
    throw new ObjectStoreError('OBJECT_STORE_CONFIG', `Azure credentials are missing: set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY (${!accountName ? 'no account name' : 'no account key'})`, {
      domain: 'user', hint: 'for Azurite: AZURE_STORAGE_CONNECTION_STRING=UseDevelopmentStorage=true',
    });
  }
  const endpoint = (options.endpoint ?? env.AZURE_STORAGE_ENDPOINT ?? `https://${accountName}.blob.core.windows.net`).replace(/\/+$/, '');
  try {
    new URL(endpoint);
  } catch {
    throw new ObjectStoreError('OBJECT_STORE_CONFIG', `the Azure endpoint '${endpoint.slice(0, 200)}' (AZURE_STORAGE_ENDPOINT) is not a URL`, { domain: 'user' });
  }
  return { kind: 'shared-key', accountName, accountKey, endpoint };
}
