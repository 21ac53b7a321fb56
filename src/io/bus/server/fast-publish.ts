/**
 * The publish route on node:http directly: `POST /v1/topics/{t}:publish`, the one request a busy publisher makes
 * hundreds of times a second. Through Hono's Node adapter each request built a web `Request` and read its body
 * through a web stream (about a quarter of a millisecond of server CPU per small publish, and garbage); here the body
 * is read from the `IncomingMessage` chunks and the answer written with `res.end`. The contract is the one Hono's
 * route answers (bus-routes.ts uses the same `publishRequest`): the same bearer-token check and 401, the same 16 MB
 * body limit and 413, the same JSON/binary bodies, the same `{messageIds}` answer and error shapes. Every other
 * request goes to Hono.
 * @example
 *   const fast = fastPublishHandler(bus, { token });
 *   http.createServer((req, res) => { if (!fast(req, res)) honoListener(req, res); });
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Bus } from '../bus-api.ts';
import { BusError } from '../bus-errors.ts';
import { bearerTokenCheck } from './bearer-token.ts';
import { errorAnswer } from './error-answer.ts';
import { MAX_BODY_BYTES, publishRequest, tooLargeAnswer, unauthenticatedAnswer } from './bus-routes.ts';

/** `/v1/topics/{name}:publish` with no query; the name as sent (percent-encoded). */
const PUBLISH_PATH = /^\/v1\/topics\/([^/?#:]+):publish$/;

export interface FastPublishOptions {
  readonly token?: string;
  readonly logError?: (error: unknown) => void;
}

function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * A request listener prefix: answers a publish and returns true, or returns false (without touching the request) for
 * anything else, which the caller passes on to Hono.
 */
export function fastPublishHandler(bus: Bus, options: FastPublishOptions = {}): (req: IncomingMessage, res: ServerResponse) => boolean {
  const check = options.token !== undefined ? bearerTokenCheck(options.token) : undefined;
  const logError = options.logError ?? ((e: unknown) => console.error('riffle bus: internal error:', e));
  return (req, res) => {
    if (req.method !== 'POST' || req.url === undefined) return false;
    const match = PUBLISH_PATH.exec(req.url);
    if (match === null) return false;
    let name: string;
    try {
      name = decodeURIComponent(match[1]!);
    } catch {
      return false; // Hono answers a malformed escape as it always did
    }
    if (check !== undefined && !check(req.headers.authorization)) {
      const a = unauthenticatedAnswer();
      answer(res, a.status, a.body, a.headers);
      req.resume();
      return true;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      const a = tooLargeAnswer();
      answer(res, a.status, a.body);
      req.resume();
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        refused = true;
        chunks.length = 0;
        const a = tooLargeAnswer();
        answer(res, a.status, a.body);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      publishRequest(bus, name, req.headers['content-type'], body).then(
        (result) => answer(res, 200, result),
        (e: unknown) => {
          const a = errorAnswer(e);
          if (a.status >= 500 && !(e instanceof BusError)) logError(e);
          answer(res, a.status, a.body);
        },
      );
    });
    req.on('error', () => res.destroy());
    return true;
  };
}
