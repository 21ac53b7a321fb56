/**
 * The audit log, DIR/audit.jsonl: one JSON line per mutating API call (and per refused one): when, who (the token's
 * id and role, never the token), what (method, route, path, the target's id) and the outcome (the HTTP status, and
 * ok / denied / invalid / error).
 * @example {"at":"2026-12-07T16:00:00.000Z","tokenId":"tok_1a2b…","role":"developer","method":"POST","route":"/api/jobs","path":"/api/jobs","status":201,"outcome":"ok","target":"job_…"}
 */
import { appendJsonLine } from './server-dir.ts';

export interface AuditEntry {
  readonly at: string;
  readonly tokenId: string | null;
  readonly role: string | null;
  readonly method: string;
  readonly route: string;
  readonly path: string;
  readonly status: number;
  readonly outcome: 'ok' | 'denied' | 'invalid' | 'error';
  /** What the call created or changed (a job id, a run id, a token id), when known. */
  readonly target?: string;
}

export function outcomeOf(status: number): AuditEntry['outcome'] {
  if (status < 400) return 'ok';
  if (status === 401 || status === 403) return 'denied';
  if (status < 500) return 'invalid';
  return 'error';
}

export class AuditLog {
  constructor(readonly file: string) {}

  append(entry: AuditEntry): void {
    appendJsonLine(this.file, entry);
  }
}
