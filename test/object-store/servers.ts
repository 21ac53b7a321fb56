/**
 * The object-store servers of the tier (.ci/tiers/object-stores.sh): moto's S3 server and Azurite. Tests read their
 * endpoints from RIFFLE_S3_ENDPOINT and RIFFLE_AZURE_CONNECTION_STRING and skip, saying why, when they are unset (as
 * under `npm test`). Each test works in a fresh bucket prefix.
 */
import { randomUUID } from 'node:crypto';
import { AzureObjectStore, S3ObjectStore } from '../../src/object-store/index.ts';

export const S3_ENDPOINT = process.env.RIFFLE_S3_ENDPOINT;
export const AZURE_CONNECTION = process.env.RIFFLE_AZURE_CONNECTION_STRING;
export const S3_SKIP = S3_ENDPOINT ? undefined : 'RIFFLE_S3_ENDPOINT is unset: run .ci/tiers/object-stores.sh, which starts moto\'s S3 server';
export const AZURE_SKIP = AZURE_CONNECTION ? undefined : 'RIFFLE_AZURE_CONNECTION_STRING is unset: run .ci/tiers/object-stores.sh, which starts Azurite';
export const BUCKET = 'riffle-tier';

/** The environment a Riffle (or delta-rs) process uses to reach moto. */
export function s3Env(): NodeJS.ProcessEnv {
  return {
    ...process.env, AWS_ENDPOINT_URL: S3_ENDPOINT, AWS_ACCESS_KEY_ID: 'riffle-test', AWS_SECRET_ACCESS_KEY: 'riffle-test-secret',
    AWS_REGION: 'us-east-1', AWS_ALLOW_HTTP: 'true',
  };
}

/** The environment a Riffle process uses to reach Azurite. */
export function azureEnv(): NodeJS.ProcessEnv {
  return { ...process.env, AZURE_STORAGE_CONNECTION_STRING: AZURE_CONNECTION };
}

let s3Ready: Promise<void> | undefined;
let azureReady: Promise<void> | undefined;

/** Creates the tier's bucket once; returns a fresh prefix URL in it. */
export async function freshS3Url(): Promise<string> {
  s3Ready ??= new S3ObjectStore(BUCKET, {}, s3Env()).createBucket();
  await s3Ready;
  return `s3://${BUCKET}/${randomUUID()}`;
}

/** Creates the tier's container once; returns a fresh prefix URL in it. */
export async function freshAzureUrl(): Promise<string> {
  azureReady ??= new AzureObjectStore(BUCKET, {}, azureEnv()).createContainer();
  await azureReady;
  return `az://${BUCKET}/${randomUUID()}`;
}

/** Points this process's environment at the tier's servers (Riffle reads credentials from the environment). */
export function useTierEnv(): void {
  if (S3_ENDPOINT) Object.assign(process.env, s3Env());
  if (AZURE_CONNECTION) process.env.AZURE_STORAGE_CONNECTION_STRING = AZURE_CONNECTION;
}
