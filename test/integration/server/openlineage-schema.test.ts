// riffle server's OpenLineage RunEvents validated against the OpenLineage JSON schema (spec 2-0-2, and each facet
// against the schema its _schemaURL names), with Python's jsonschema (PyPI, in the py-openlineage venv that
// .ci/tiers/server.sh makes). The spec files come from the OpenLineage spec repository (its website/static/spec
// folder, as published under openlineage.io/spec/), copied into ${RIFFLE_CACHE}/openlineage-spec: no registry
// ships them (openlineage-python ships generated classes only), so without that folder the test is skipped, naming it.
// Events: real jobs' START and COMPLETE (with output files; a SQL job's output with its ColumnLineageDatasetFacet),
// orchestrator task attempts' START, COMPLETE (with datasets and column lineage) and FAIL (ParentRunFacet,
// ErrorMessageRunFacet); and broken events the validator must reject (no run id; an input field without `field`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runEvent } from '../../../src/observe/index.ts';
import { call, makeProject, startTestServer, waitFor } from '../../../src/server/fixtures/test-server.ts';

const cache = process.env.RIFFLE_CACHE ?? join(homedir(), '.cache', 'riffle');
const python = join(cache, 'py-openlineage', 'bin', 'python');
const spec = process.env.RIFFLE_OPENLINEAGE_SPEC ?? join(cache, 'openlineage-spec');
const skip = process.env.RIFFLE_INTEGRATION !== '1'
  ? 'runs in the server tier (.ci/tiers/server.sh, RIFFLE_INTEGRATION=1)'
  : !existsSync(join(spec, '2-0-2', 'OpenLineage.json')) ? `no OpenLineage spec at ${spec} (copy the spec repository's website/static/spec folder there)` : false;

const CHECK = `
import json, os, sys
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

spec = sys.argv[1]
PREFIX = 'https://openlineage.io/spec/'
def load(url):
    assert url.startswith(PREFIX), 'a schema outside the spec: ' + url
    with open(os.path.join(spec, url[len(PREFIX):].split('#')[0])) as f:
        return json.load(f)
registry = Registry(retrieve=lambda uri: Resource.from_contents(load(uri)))
def validator(url):
    return Draft202012Validator({'$ref': url}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
run_event = validator(PREFIX + '2-0-2/OpenLineage.json#/$defs/RunEvent')

def problems(e):
    out = [err.message for err in run_event.iter_errors(e)]
    if e.get('schemaURL') != PREFIX + '2-0-2/OpenLineage.json#/$defs/RunEvent':
        out.append('schemaURL ' + str(e.get('schemaURL')))
    facets = list(e.get('run', {}).get('facets', {}).items()) + list(e.get('job', {}).get('facets', {}).items())
    for d in e.get('inputs', []) + e.get('outputs', []):
        facets += list(d.get('facets', {}).items()) + list(d.get('inputFacets', {}).items()) + list(d.get('outputFacets', {}).items())
    for key, facet in facets:
        out += [key + ': ' + err.message for err in validator(facet['_schemaURL']).iter_errors(facet)]
    return out

good = bad = 0
for line in sys.stdin:
    if not line.strip():
        continue
    e = json.loads(line)
    p = problems(e)
    expect_bad = e.get('job', {}).get('name') == 'broken'
    if p and not expect_bad:
        print('INVALID', json.dumps(e), p)
        sys.exit(1)
    if expect_bad and not p:
        print('ACCEPTED A BROKEN EVENT', json.dumps(e))
        sys.exit(1)
    if p: bad += 1
    else: good += 1
print(f'{good} events valid, {bad} broken rejected')
`;

test('OpenLineage events of jobs and orchestrator tasks validate against the OpenLineage JSON schema', { skip, timeout: 120_000 }, async () => {
  assert.ok(existsSync(python), `the py-openlineage venv is missing at ${python}: run .ci/tiers/server.sh`);
  const { project, dir, cleanup } = makeProject('server-openlineage-schema');
  const server = await startTestServer(project, dir);
  try {
    const job = await call<{ id: string }>(server, 'POST', '/api/jobs', { body: { pipeline: 'quick.ts', params: { output: 'out/lineage' } } });
    assert.equal(job.status, 201, job.text);
    await waitFor(async () => ((await call<{ events: unknown[] }>(server, 'GET', `/api/lineage?job=${job.body.id}`)).body.events.length === 2 ? true : undefined), 60_000, 'the COMPLETE event');
    const sqlJob = await call<{ id: string }>(server, 'POST', '/api/jobs', { body: { pipeline: 'sql-lineage.ts', params: { input: 'orders.csv', output: 'out/totals' } } });
    assert.equal(sqlJob.status, 201, sqlJob.text);
    await waitFor(async () => ((await call<{ events: unknown[] }>(server, 'GET', `/api/lineage?job=${sqlJob.body.id}`)).body.events.length === 2 ? true : undefined), 60_000, 'the SQL job\'s COMPLETE event');
    const producer = 'urn:riffle:server:test';
    const parent = { runId: '2b2f7c1e-64a4-5c1f-8e7a-0a1b2c3d4e5f', jobName: 'demo' };
    const tasks = [
      runEvent({ eventType: 'START', jobId: 'demo.a', jobName: 'demo.a', runId: '7d0b9c2a-1f3e-5a4b-9c8d-112233445566', parent, time: new Date(), producer }),
      runEvent({ eventType: 'COMPLETE', jobId: 'demo.a', jobName: 'demo.a', runId: '7d0b9c2a-1f3e-5a4b-9c8d-112233445566', parent, time: new Date(), producer, inputs: [{ namespace: 'file', name: '/data/in.csv' }], outputs: [{ namespace: 'file', name: '/data/out' }] }),
      runEvent({ eventType: 'COMPLETE', jobId: 'demo.c', jobName: 'demo.c', runId: '1a2b3c4d-1f3e-5a4b-9c8d-112233445566', parent, time: new Date(), producer, inputs: [{ namespace: 'file', name: '/data/in.csv' }], outputs: [{ namespace: 'file', name: '/data/out', columnLineage: { fields: { total: { inputFields: [{ namespace: 'file', name: '/data/in.csv', field: 'amount', transformations: [{ type: 'DIRECT', subtype: 'AGGREGATION' }] }] } }, dataset: [{ namespace: 'file', name: '/data/in.csv', field: 'country', transformations: [{ type: 'INDIRECT', subtype: 'GROUP_BY' }] }] } }] }),
      runEvent({ eventType: 'FAIL', jobId: 'demo.b', jobName: 'demo.b', runId: '0f9e8d7c-6b5a-5d4c-8b2a-aabbccddeeff', parent, time: new Date(), producer, errorMessage: 'boom' }),
    ];
    const broken = { ...runEvent({ eventType: 'START', jobId: 'x', jobName: 'broken', time: new Date() }), run: { facets: {} } };
    const logged = readFileSync(join(dir, 'lineage.jsonl'), 'utf8');
    assert.match(logged, /"columnLineage":\{"_producer":"[^"]+","_schemaURL":"[^"]+ColumnLineageDatasetFacet[^"]*","fields":\{"country":\{"inputFields":\[\{"namespace":"file","name":"[^"]+orders\.csv","field":"country"/);
    const brokenFacet = runEvent({ eventType: 'COMPLETE', jobId: 'x', jobName: 'broken', time: new Date(), outputs: [{ namespace: 'file', name: '/o', columnLineage: { fields: { a: { inputFields: [{ namespace: 'file', name: '/i' } as never] } } } }] });
    const input = `${logged}${[...tasks, broken, brokenFacet].map((e) => JSON.stringify(e)).join('\n')}\n`;
    const r = spawnSync(python, ['-c', CHECK, spec], { input, encoding: 'utf8' });
    console.log(r.stdout, r.stderr);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^8 events valid, 2 broken rejected$/m);
  } finally {
    await server.close();
    cleanup();
  }
});
