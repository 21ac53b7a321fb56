/**
 * The lakehouse, as io.delta uses it: loaded when a Delta source plans or a Delta sink sets up, so that
 * `import { io } from 'riffle'` does not load Parquet and its codecs (see ../lazy-module.ts).
 */
import { lazyModule } from '../lazy-module.ts';

export const lakehouse = lazyModule('the Delta lakehouse', () => import('../../lakehouse/index.ts'));
