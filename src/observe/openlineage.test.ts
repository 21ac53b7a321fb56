// OpenLineage RunEvents: the fields the 2-0-2 RunEvent schema requires, a UUID run id shared by a job's events,
// datasets, and the errorMessage facet on FAIL.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineageRunId, OPENLINEAGE_SCHEMA_URL, runEvent } from './openlineage.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('OpenLineage run events', () => {
  it('derive one UUID run id per job', () => {
    assert.match(lineageRunId('job-1'), UUID);
    assert.equal(lineageRunId('job-1'), lineageRunId('job-1'));
    assert.notEqual(lineageRunId('job-1'), lineageRunId('job-2'));
  });

  it('carry what the RunEvent schema requires, datasets, and the error of a failed run', () => {
    const time = new Date('2026-12-07T16:00:00Z');
    const start = runEvent({ eventType: 'START', jobId: 'job-1', jobName: 'etl.ts', time });
    assert.deepEqual(start, {
      eventType: 'START', eventTime: '2026-12-07T16:00:00.000Z', producer: 'urn:riffle:server', schemaURL: OPENLINEAGE_SCHEMA_URL,
      run: { runId: lineageRunId('job-1'), facets: {} }, job: { namespace: 'riffle', name: 'etl.ts', facets: {} }, inputs: [], outputs: [],
    });
    const fail = runEvent({ eventType: 'FAIL', jobId: 'job-1', jobName: 'etl.ts', time, inputs: [{ namespace: 'file', name: '/data/a.csv' }], errorMessage: 'boom', producer: 'urn:riffle:server:0.1.0' });
    assert.deepEqual(fail.inputs, [{ namespace: 'file', name: '/data/a.csv', facets: {}, inputFacets: {} }]);
    const facet = fail.run.facets.errorMessage as Record<string, string>;
    assert.deepEqual([facet.message, facet.programmingLanguage, facet._producer], ['boom', 'TypeScript', 'urn:riffle:server:0.1.0']);
    assert.match(facet._schemaURL!, /ErrorMessageRunFacet\.json/);
  });
});
