// The OpenLineage RunEvents of riffle server's jobs, checked with openlineage-python (PyPI, in a cached venv made by
// .ci/tiers/server.sh): each event is rebuilt with the client's own RunEvent classes (their validators check the
// run id, times and URIs; a field the spec does not have fails the constructor) and serialized back by its Serde,
// which must give the same JSON. Events of a real job (START, COMPLETE, with its output files), of a SQL job (its
// output's columnLineage facet rebuilt with ColumnLineageDatasetFacet, Fields, InputField, Transformation) and a
// FAIL with the errorMessage facet. Runs under RIFFLE_INTEGRATION=1 (the tier); skipped otherwise.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runEvent } from '../../../src/observe/index.ts';
import { call, makeProject, startTestServer, waitFor } from '../../../src/server/fixtures/test-server.ts';

const python = join(process.env.RIFFLE_CACHE ?? join(homedir(), '.cache', 'riffle'), 'py-openlineage', 'bin', 'python');
const skip = process.env.RIFFLE_INTEGRATION !== '1' ? 'runs in the server tier (.ci/tiers/server.sh, RIFFLE_INTEGRATION=1)' : false;

const CHECK = `
import json, sys
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import column_lineage_dataset as cl, error_message_run
from openlineage.client.serde import Serde

def input_field(i):
    return cl.InputField(namespace=i['namespace'], name=i['name'], field=i['field'], transformations=[cl.Transformation(**t) for t in i['transformations']])

def dataset_facets(facets):
    out = {}
    for key, f in facets.items():
        if key != 'columnLineage':
            raise ValueError('unexpected dataset facet ' + key)
        out[key] = cl.ColumnLineageDatasetFacet(
            fields={name: cl.Fields(inputFields=[input_field(i) for i in v['inputFields']]) for name, v in f['fields'].items()},
            dataset=[input_field(i) for i in f.get('dataset', [])], producer=f['_producer'])
    return out

def rebuild(e):
    facets = {}
    for key, f in e['run']['facets'].items():
        if key != 'errorMessage':
            raise ValueError('unexpected run facet ' + key)
        facets[key] = error_message_run.ErrorMessageRunFacet(message=f['message'], programmingLanguage=f['programmingLanguage'], producer=f['_producer'])
    return RunEvent(
        eventType=RunState[e['eventType']], eventTime=e['eventTime'], producer=e['producer'],
        run=Run(runId=e['run']['runId'], facets=facets),
        job=Job(namespace=e['job']['namespace'], name=e['job']['name'], facets=e['job']['facets']),
        inputs=[InputDataset(namespace=d['namespace'], name=d['name'], facets=d['facets'], inputFacets=d['inputFacets']) for d in e['inputs']],
        outputs=[OutputDataset(namespace=d['namespace'], name=d['name'], facets=dataset_facets(d['facets']), outputFacets=d['outputFacets']) for d in e['outputs']],
    )

n = 0
for line in sys.stdin:
    if not line.strip():
        continue
    mine = json.loads(line)
    theirs = json.loads(Serde.to_json(rebuild(mine)))
    if theirs != mine:
        print('MISMATCH', json.dumps(mine, sort_keys=True), json.dumps(theirs, sort_keys=True))
        sys.exit(1)
    n += 1
print(str(n) + ' events match openlineage-python')
`;

test("the jobs' OpenLineage events are what openlineage-python builds and writes", { skip, timeout: 120_000 }, async () => {
  assert.ok(existsSync(python), `openlineage-python is missing at ${python}: run .ci/tiers/server.sh`);
  const { project, dir, cleanup } = makeProject('server-openlineage');
  const server = await startTestServer(project, dir);
  try {
    const job = await call<{ id: string }>(server, 'POST', '/api/jobs', { body: { pipeline: 'quick.ts', params: { output: 'out/lineage' } } });
    assert.equal(job.status, 201, job.text);
    await waitFor(async () => ((await call<{ events: unknown[] }>(server, 'GET', `/api/lineage?job=${job.body.id}`)).body.events.length === 2 ? true : undefined), 60_000, 'the COMPLETE event');
    const sqlJob = await call<{ id: string }>(server, 'POST', '/api/jobs', { body: { pipeline: 'sql-lineage.ts', params: { input: 'orders.csv', output: 'out/totals' } } });
    assert.equal(sqlJob.status, 201, sqlJob.text);
    await waitFor(async () => ((await call<{ events: unknown[] }>(server, 'GET', `/api/lineage?job=${sqlJob.body.id}`)).body.events.length === 2 ? true : undefined), 60_000, 'the SQL job\'s COMPLETE event');
    const fail = runEvent({ eventType: 'FAIL', jobId: 'job-x', jobName: 'etl.ts', time: new Date(), inputs: [{ namespace: 'file', name: '/data/a.csv' }], errorMessage: 'a step failed', producer: 'urn:riffle:server:test' });
    const input = `${readFileSync(join(dir, 'lineage.jsonl'), 'utf8')}${JSON.stringify(fail)}\n`;
    assert.match(input, /"eventType":"COMPLETE"[^\n]*"outputs":\[\{"namespace":"file"/);
    assert.match(input, /"columnLineage":\{[^\n]*"total":\{"inputFields":\[\{[^\n]*"field":"amount","transformations":\[\{"type":"DIRECT","subtype":"AGGREGATION"\}\]/);
    const r = spawnSync(python, ['-c', CHECK], { input, encoding: 'utf8' });
    console.log(r.stdout, r.stderr);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^5 events match openlineage-python$/m);
  } finally {
    await server.close();
    cleanup();
  }
});
