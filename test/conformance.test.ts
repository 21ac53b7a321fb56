// Runs every trigger transcript with every registered driver under node:test (so `npm test` includes conformance).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { transcriptDrivers } from './transcripts/drivers.ts';
import { readTranscriptFile } from './transcripts/parse.ts';
import { runTranscript } from './transcripts/harness.ts';
import { defaultTranscriptFiles } from '../scripts/conformance.ts';

for (const file of defaultTranscriptFiles()) {
  describe(`transcripts: ${basename(file)}`, () => {
    for (const spec of readTranscriptFile(file)) {
      for (const driver of transcriptDrivers) {
        it(`${spec.name} [${driver.name}]`, async () => {
          const r = await runTranscript(spec, driver);
          assert.ok(r.passed, r.reason);
        });
      }
    }
  });
}
