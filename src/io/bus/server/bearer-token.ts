/**
 * The server's bearer token check: `Authorization: Bearer <token>` on every request (the streaming pull's WebSocket
 * upgrade included), compared in constant time. The token itself is never logged or echoed.
 * @example
 *   const check = bearerTokenCheck('s3cret');
 *   check('Bearer s3cret') // true
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The environment variable that holds the token when `--token` is not given (server and clients). */
export const BUS_TOKEN_ENV = 'RIFFLE_BUS_TOKEN';

/**
 * A predicate over an `Authorization` header value. Both sides are hashed first so that the comparison takes the same
 * time whatever the lengths (timingSafeEqual needs equal lengths, and a length check would leak the token's length).
 */
export function bearerTokenCheck(token: string): (authorization: string | undefined) => boolean {
  if (token === '') throw new RangeError('the bus token must not be empty');
  const expected = createHash('sha256').update(token, 'utf8').digest();
  return (authorization) => {
    const match = authorization === undefined ? null : /^Bearer[ \t]+(.+)$/i.exec(authorization.trim());
    const given = createHash('sha256').update(match?.[1] ?? '', 'utf8').digest();
    // Compare even when the header is missing or malformed, so that every refusal costs the same.
    return timingSafeEqual(given, expected) && match !== null;
  };
}
