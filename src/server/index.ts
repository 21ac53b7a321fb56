/**
 * `riffle server`: the REST API over jobs (pipelines run as child processes), the orchestrator's DAGs, tokens with
 * roles and an audit log, with an OpenAPI document, Prometheus metrics and a console page. See README.md.
 */
export { startRiffleServer, DEFAULT_SERVER_PORT, type RiffleServer, type RiffleServerOptions } from './riffle-server.ts';
export { TokenStore, createToken, revokeToken, hashToken, ADMIN_TOKEN_ENV, type TokenRecord } from './token-store.ts';
export { ROLES, isRole, allows, type Role } from './roles.ts';
export { serverPaths, type ServerPaths } from './server-dir.ts';
export { JOB_STATES, type JobRecord, type JobState } from './job-record.ts';
