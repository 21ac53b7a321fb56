/**
 * The `pg` client, as io.postgres uses it: loaded when a source plans/reads or a sink opens, so that
 * `import { io } from 'riffle'` does not load the driver (see ../lazy-module.ts).
 */
import { lazyModule } from '../lazy-module.ts';

export const pgDriver = lazyModule('the PostgreSQL client (pg)', async () => (await import('pg')).default);
