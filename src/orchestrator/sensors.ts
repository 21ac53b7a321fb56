/**
 * Ready-made sensors. `fileSensor` waits until a (templated) path or glob matches at least one file and passes the
 * matches downstream. Custom sensors are `d.sensor(id, { poke, pokeInterval, timeout, mode })`.
 * @example
 *   const arrived = d.sensor('wait_for_file', fileSensor({ path: 'landing/{{ ds }}/*.csv', pokeInterval: '1m', timeout: '6h' }));
 */
import { resolve } from 'node:path';
import { glob } from 'tinyglobby';
import type { SensorDefinition, TaskInputs } from './task-group.ts';
import type { TaskOptions, SensorOptions } from './task.ts';

export interface FileSensorOptions extends SensorOptions, TaskOptions {
  /** A path or glob, templated; relative paths are read from `cwd` (default: the process's). */
  path: string;
  cwd?: string;
}

export function fileSensor(o: FileSensorOptions): SensorDefinition<TaskInputs, string[]> {
  const { path, cwd, ...options } = o;
  return {
    ...options,
    poke: async (ctx) => {
      const pattern = ctx.render(path);
      const base = cwd ?? process.cwd();
      const files = await glob(pattern, { cwd: base, absolute: false, onlyFiles: true, expandDirectories: false });
      ctx.log(files.length > 0 ? `found ${files.length} file(s) for ${pattern}` : `no file yet for ${pattern}`);
      return files.length > 0 ? { done: true, value: files.sort().map((f) => resolve(base, f)) } : false;
    },
  };
}
