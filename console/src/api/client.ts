/**
 * The console's API client: every call sends the token kept in sessionStorage as a bearer token; a 401 forgets the
 * token and sends the page back to the login (through the `onUnauthenticated` listener the app installs); other
 * errors are thrown as `ApiError` with the server's code, key and hint.
 */
import type { ApiErrorBody } from './types.ts';

const TOKEN_KEY = 'riffle.console.token';

export class ApiError extends Error {
  constructor(readonly status: number, readonly body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiError';
  }
}

let unauthenticated: (() => void) | undefined;

/** The app's reaction to a 401 (back to the login page). */
export function onUnauthenticated(fn: () => void): void {
  unauthenticated = fn;
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** Turns an error answer into an ApiError (a body that is not the server's error document still gives one). */
async function failure(res: Response): Promise<ApiError> {
  let body: ApiErrorBody = { code: `HTTP_${res.status}`, message: res.statusText || `HTTP ${res.status}` };
  try {
    const doc = (await res.json()) as { error?: ApiErrorBody };
    if (doc.error !== undefined && typeof doc.error.message === 'string') body = doc.error;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, body);
}

/** One API call: JSON in, JSON out. `token` overrides the stored one (the login checks a token before keeping it). */
export async function api<T>(method: 'GET' | 'POST', path: string, o: { body?: unknown; token?: string } = {}): Promise<T> {
  const token = o.token ?? getToken();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) });
  if (!res.ok) {
    const e = await failure(res);
    if (res.status === 401 && o.token === undefined) {
      setToken(null);
      unauthenticated?.();
    }
    throw e;
  }
  return (await res.json()) as T;
}

/** A path segment, encoded (ids may hold characters that mean something in a URL). */
export const seg = (s: string): string => encodeURIComponent(s);

/** A query string from the defined values. */
export function query(q: Record<string, string | number | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}
