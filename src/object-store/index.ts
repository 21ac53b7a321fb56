/**
 * Object stores: one port (get, range get, put, put-if-absent, list, head, delete) over a local directory, S3-compatible
 * services and Azure Blob, with credentials from the usual environment variables. The S3 and Azure clients load on
 * first use. See README.md.
 *
 * @example
 * import { openObjectStore } from 'riffle/lakehouse';
 * const store = openObjectStore('s3://lake/events');
 */
export { type ObjectMeta, type ObjectStore, ObjectStoreError, checkKey, redact } from './object-store.ts';
export { LocalObjectStore, writeFileIfAbsent } from './local-store.ts';
export { S3ObjectStore } from './s3-store.ts';
export { type S3Options, type S3Settings, s3Settings } from './s3-config.ts';
export { AzureObjectStore } from './azure-store.ts';
export { type AzureOptions, type AzureSettings, azureSettings } from './azure-config.ts';
export { PrefixedObjectStore } from './prefixed-store.ts';
export { isObjectStoreUrl, objectUrl, parseStoreUrl, type StoreUrl } from './store-url.ts';
export { deleteLocation, locateObject, locationExists, openObjectSource, openObjectStore, type ObjectStoreOptions } from './open-store.ts';
export { localCopies, localCopy } from './local-copy.ts';
export { ObjectStoreCheckpointStorage } from './checkpoint-store.ts';
