/**
 * The server's API tokens, in DIR/tokens.jsonl: only a SHA-256 hash of each token is stored (a token is 32 random
 * bytes, so a fast hash is enough: there is nothing to guess), with an id (what the audit log names), a role and a
 * creation time; a revocation is a later `{id, revokedAt}` line. Lines are appended in one write each, so
 * `riffle server token create` can add a token while a server runs on the directory: the server reads the file
 * again when it changed (checked at most every 2 s on hits, and always on a miss).
 * @example
 *   const { token, record } = createToken(paths.tokens, 'viewer', 'grafana');
 *   const store = new TokenStore(paths.tokens); store.authenticate(token)?.role // 'viewer'
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { appendJsonLine } from './server-dir.ts';
import { isRole, type Role } from './roles.ts';

/** A token's record (never the token itself). */
export interface TokenRecord {
  readonly id: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly name: string | null;
  readonly revokedAt: string | null;
  /** The namespaces its jobs and DAGs may be in (per-namespace grants); null: every namespace. */
  readonly namespaces: string[] | null;
}

interface StoredLine {
  id: string;
  role?: string;
  hash?: string;
  createdAt?: string;
  name?: string | null;
  revokedAt?: string;
  namespaces?: string[];
}

/** The environment variable whose value the server adds as an admin token when it starts. */
export const ADMIN_TOKEN_ENV = 'RIFFLE_ADMIN_TOKEN';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Creates a token with `role`: appends its record and returns the token (shown once, never stored). */
export function createToken(file: string, role: Role, name: string | null = null, namespaces: readonly string[] | null = null): { token: string; record: TokenRecord } {
  const id = `tok_${randomBytes(6).toString('hex')}`;
  const token = `riffle_${randomBytes(32).toString('base64url')}`;
  const record: TokenRecord = { id, role, createdAt: new Date().toISOString(), name, revokedAt: null, namespaces: namespaces === null ? null : [...new Set(namespaces)] };
  appendJsonLine(file, { id, role, hash: hashToken(token), createdAt: record.createdAt, name, ...(record.namespaces !== null ? { namespaces: record.namespaces } : {}) });
  return { token, record };
}

/** Revokes a token by id; false if there is no such token (or it was revoked already). */
export function revokeToken(file: string, id: string): boolean {
  const current = readTokens(file).records.get(id);
  if (current === undefined || current.revokedAt !== null) return false;
  appendJsonLine(file, { id, revokedAt: new Date().toISOString() });
  return true;
}

/** Every token record (revoked ones too), and the active ones by hash. */
function readTokens(file: string): { records: Map<string, TokenRecord>; byHash: Map<string, TokenRecord> } {
  const records = new Map<string, TokenRecord>();
  const hashes = new Map<string, string>();
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let s: StoredLine;
    try {
      s = JSON.parse(line) as StoredLine;
    } catch {
      continue; // a torn last line (a process killed mid-write): the token it held was never handed out
    }
    if (typeof s.id !== 'string') continue;
    if (typeof s.revokedAt === 'string') {
      const r = records.get(s.id);
      if (r !== undefined) records.set(s.id, { ...r, revokedAt: s.revokedAt });
    } else if (isRole(s.role) && typeof s.hash === 'string') {
      const namespaces = Array.isArray(s.namespaces) ? s.namespaces.filter((n): n is string => typeof n === 'string') : null;
      records.set(s.id, { id: s.id, role: s.role, createdAt: s.createdAt ?? '', name: s.name ?? null, revokedAt: null, namespaces });
      hashes.set(s.id, s.hash);
    }
  }
  const byHash = new Map<string, TokenRecord>();
  for (const [id, r] of records) if (r.revokedAt === null) byHash.set(hashes.get(id)!, r);
  return { records, byHash };
}

/** The tokens as the server checks them: read again when the file changes. */
export class TokenStore {
  private byHash = new Map<string, TokenRecord>();
  private records = new Map<string, TokenRecord>();
  private stamp = '';
  private checkedAt = 0;

  constructor(readonly file: string) {
    this.reload(true);
  }

  /**
   * Adds `token` as an admin token unless a token with its hash is there already (a server restarted with the same
   * $RIFFLE_ADMIN_TOKEN adds nothing).
   */
  seedAdmin(token: string): TokenRecord {
    this.reload(true);
    const existing = this.byHash.get(hashToken(token));
    if (existing !== undefined) return existing;
    const id = `tok_env_${hashToken(token).slice(0, 8)}`;
    const createdAt = new Date().toISOString();
    appendJsonLine(this.file, { id, role: 'admin', hash: hashToken(token), createdAt, name: ADMIN_TOKEN_ENV });
    this.reload(true);
    return this.byHash.get(hashToken(token))!;
  }

  /** The record of an active token, or undefined. */
  authenticate(token: string): TokenRecord | undefined {
    const hash = hashToken(token);
    this.reload(Date.now() - this.checkedAt > 2000);
    return this.byHash.get(hash) ?? (this.reload(true) ? this.byHash.get(hash) : undefined);
  }

  list(): TokenRecord[] {
    this.reload(true);
    return [...this.records.values()];
  }

  /** Re-reads the file when `check` and its size or mtime changed; true if it did. */
  private reload(check: boolean): boolean {
    if (!check) return false;
    this.checkedAt = Date.now();
    let stamp = 'absent';
    try {
      const s = statSync(this.file);
      stamp = `${s.size}:${s.mtimeMs}`;
    } catch {
      // no tokens yet
    }
    if (stamp === this.stamp) return false;
    const { records, byHash } = readTokens(this.file);
    this.records = records;
    this.byHash = byHash;
    this.stamp = stamp;
    return true;
  }
}
