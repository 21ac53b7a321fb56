// Pure checks of the object-store configuration (no server): URL parsing, S3 and Azure settings from the
// environment, errors that name the variable and never its value, redaction, the XML S3 answers with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { azureSettings } from './azure-config.ts';
import { ObjectStoreError, redact } from './object-store.ts';
import { locateObject } from './open-store.ts';
import { s3Settings } from './s3-config.ts';
import { isObjectStoreUrl, parseStoreUrl } from './store-url.ts';
import { xmlDecode, xmlElements, xmlText } from './xml-text.ts';

const code = (c: string) => (e: unknown): boolean => e instanceof ObjectStoreError && e.code === c;

test('parseStoreUrl: s3, az, abfss; gs refused with the reason; malformed URLs refused', () => {
  assert.deepEqual(parseStoreUrl('s3://lake/warehouse/events/'), { scheme: 's3', bucket: 'lake', prefix: 'warehouse/events' });
  assert.deepEqual(parseStoreUrl('s3a://lake'), { scheme: 's3', bucket: 'lake', prefix: '' });
  assert.deepEqual(parseStoreUrl('az://c1/t'), { scheme: 'az', bucket: 'c1', prefix: 't' });
  assert.deepEqual(parseStoreUrl('abfss://c1@acct.dfs.core.windows.net/a/t'), { scheme: 'az', bucket: 'c1', prefix: 'a/t', account: 'acct' });
  assert.throws(() => parseStoreUrl('gs://b/t'), (e: unknown) => code('OBJECT_STORE_UNSUPPORTED')(e) && /x-goog-if-generation-match/.test((e as Error).message));
  for (const bad of ['s3:///t', 's3://b/a/../t', 's3://b/a//t', 's3://b/t?x=1', 'abfss://c1/t']) assert.throws(() => parseStoreUrl(bad), code('OBJECT_STORE_URL'), bad);
  assert.equal(isObjectStoreUrl('S3://b/t'), true);
  assert.equal(isObjectStoreUrl('/data/s3://x'), false);
  assert.equal(isObjectStoreUrl('file:///data/t'), false);
});

test('s3Settings: from the environment; missing credentials and plain HTTP refused naming the variable, never the value', () => {
  const env = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret-value-123', AWS_REGION: 'eu-west-1' };
  assert.deepEqual(s3Settings({}, env), { endpoint: undefined, region: 'eu-west-1', accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-value-123', sessionToken: undefined });
  assert.equal(s3Settings({}, { ...env, AWS_ENDPOINT_URL: 'https://minio.local:9000/', AWS_REGION: undefined }).endpoint, 'https://minio.local:9000');
  assert.equal(s3Settings({}, { ...env, AWS_REGION: undefined }).region, 'us-east-1');
  const refused = (o: object, e: NodeJS.ProcessEnv, re: RegExp): void => assert.throws(() => s3Settings(o, e), (x: unknown) => code('OBJECT_STORE_CONFIG')(x) && re.test((x as Error).message) && !(x as Error).message.includes('secret-value-123'));
  refused({}, { AWS_ACCESS_KEY_ID: 'a' }, /AWS_SECRET_ACCESS_KEY is not set/);
  refused({}, { ...env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9000' }, /plain HTTP[\s\S]*AWS_ALLOW_HTTP=true/);
  refused({}, { ...env, AWS_ENDPOINT_URL: 'http://user:secret-value-123@h:1', AWS_ALLOW_HTTP: 'true' }, /user name or password/);
  refused({}, { ...env, AWS_ENDPOINT_URL: 'not a url' }, /is not a URL/);
  refused({ endpointUrl: 'x' }, env, /S3 option 'endpointUrl' is not known/);
  assert.equal(s3Settings({}, { ...env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9000', AWS_ALLOW_HTTP: 'true' }).endpoint, 'http://127.0.0.1:9000');
});

test('azureSettings: a connection string wins; else account and key (the account may come from the URL)', () => {
  assert.deepEqual(azureSettings({}, { AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' }), { kind: 'connection-string', connectionString: 'UseDevelopmentStorage=true' });
  assert.deepEqual(azureSettings({}, { AZURE_STORAGE_ACCOUNT_KEY: 'a2V5' }, 'acct'), { kind: 'shared-key', accountName: 'acct', accountKey: 'a2V5', endpoint: 'https://acct.blob.core.windows.net' });
  assert.throws(() => azureSettings({}, { AZURE_STORAGE_ACCOUNT_NAME: 'acct' }), (e: unknown) => code('OBJECT_STORE_CONFIG')(e) && /AZURE_STORAGE_CONNECTION_STRING/.test((e as Error).message));
  assert.throws(() => azureSettings({ sas: 'x' } as never, {}), (e: unknown) => code('OBJECT_STORE_CONFIG')(e) && /'sas' is not known/.test((e as Error).message));
});

test('locateObject: the key is the rest of the URL as a name (%, ?, # and = kept), the prefix of the bucket store included', () => {
  const env = { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' };
  assert.equal(locateObject('s3://lake/t/d=a%3Ab/part-0?.parquet', { env }).key, 't/d=a%3Ab/part-0?.parquet');
  assert.throws(() => locateObject('s3://lake', { env }), code('OBJECT_STORE_URL'));
  assert.throws(() => locateObject('s3://lake/t/../x', { env }), code('OBJECT_KEY_INVALID'));
});

test('redact: account keys, signatures and authorization headers', () => {
  assert.equal(redact('DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0+/==;EndpointSuffix=x'), 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=***;EndpointSuffix=x');
  assert.equal(redact('https://a.blob.core.windows.net/c/b?sv=1&sig=abc%2Bdef&se=2'), 'https://a.blob.core.windows.net/c/b?sv=1&sig=***&se=2');
  assert.equal(redact('Authorization: AWS4-HMAC-SHA256 Credential=AKID/x, Signature=abc'), 'Authorization: ***');
});

test('xml: ListObjectsV2 entries, entities and CDATA', () => {
  const xml = '<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a&amp;b/&#233;.json</Key><Size>3</Size></Contents><Contents><Key><![CDATA[x<y]]></Key></Contents><NextContinuationToken>t&#x2B;1</NextContinuationToken></ListBucketResult>';
  assert.deepEqual(xmlElements(xml, 'Contents').map((c) => xmlText(c, 'Key')), ['a&b/é.json', 'x<y']);
  assert.equal(xmlText(xml, 'IsTruncated'), 'true');
  assert.equal(xmlDecode(xmlElements(xml, 'NextContinuationToken')[0]), 't+1');
});
