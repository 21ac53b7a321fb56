/**
 * A table location as the connector keeps it: an object-store URL (`s3://`, `az://`, `abfss://`…) as given, a local
 * path made absolute. The scheme test mirrors the object store's `isObjectStoreUrl`; it is repeated here so that
 * building a pipeline loads no storage code (the lakehouse and its stores load when the pipeline runs).
 */
import { resolve } from 'node:path';

const OBJECT_URL = /^(s3|s3a|az|azure|abfs|abfss|gs):\/\//i;

/**
 * @example
 * tableLocation('s3://lake/events'); // 's3://lake/events'
 * tableLocation('out/events');       // '/home/me/project/out/events'
 */
export function tableLocation(path: string): string {
  return OBJECT_URL.test(path) ? path.replace(/\/+$/, '') : resolve(path);
}
