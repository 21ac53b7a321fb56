// Every executor the transcripts run against. The engine driver (TestStream through the runner) registers here too.
import type { TranscriptDriver } from './harness.ts';
import { engineDrivers } from './engine-driver.ts';
import { pureCombiningDriver, pureDriver } from './pure-driver.ts';

export const transcriptDrivers: readonly TranscriptDriver[] = [pureDriver, pureCombiningDriver, ...engineDrivers];
