/**
 * SQL models (what dbt does): a project folder of `.sql` models with Jinja templating, seeds, macros, tests and
 * sources, run into a DuckDB database file (or Delta tables). See README.md in this folder.
 *
 * @example
 * import { runModels } from './models/index.ts';
 * const result = await runModels('build', { projectDir: 'examples/models', select: ['+fct_orders'] });
 * result.ok; // no model errored, no test failed
 */
export { runModels, loadGraph, runOrder, type ModelsCommand, type ModelsOptions, type ModelsResult, type NodeResult, type NodeStatus } from './models-run.ts';
export { sourceFreshness, type FreshnessResult } from './freshness.ts';
export { manifestOf, lineageHtml, writeDocs } from './docs.ts';
export { loadProject, PROJECT_FILES, type Project, type LoadProjectOptions } from './project.ts';
export { selectNodes } from './selector.ts';
export { ModelsError, type ModelsErrorCode } from './models-error.ts';
export type { GraphNode, ModelNode, ProjectGraph, SeedNode, SourceNode, TestNode } from './project-graph.ts';
