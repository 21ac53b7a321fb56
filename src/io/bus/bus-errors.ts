/**
 * The bus's typed errors. Every error has a stable `code` so that the HTTP client can rebuild the same class from a
 * server's answer (`busErrorFromCode`), and a message that says what to do next.
 * @example
 *   try { await bus.getTopic('orders'); } catch (e) { if (e instanceof BusNotFoundError) ... }
 */
import { RiffleError, type ErrorContext, type ErrorDomain } from '../../model/index.ts';

/** The codes a bus error carries (stable: the server sends them, the client maps them back). */
export type BusErrorCode =
  | 'BUS_NOT_FOUND'
  | 'BUS_ALREADY_EXISTS'
  | 'BUS_INVALID_ARGUMENT'
  | 'BUS_FAILED_PRECONDITION'
  | 'BUS_SCHEMA_VIOLATION'
  | 'BUS_FILTER_SYNTAX'
  | 'BUS_ORDERING_KEY_PAUSED'
  | 'BUS_CLOSED'
  | 'BUS_STORAGE_CORRUPT'
  | 'BUS_UNAVAILABLE';

/** Any error the bus raises. */
export class BusError extends RiffleError {
  declare readonly code: BusErrorCode;
  constructor(code: BusErrorCode, message: string, opts: { domain?: ErrorDomain; context?: ErrorContext; hint?: string; cause?: unknown } = {}) {
    super(code, message, { domain: 'user', ...opts });
  }
}

/** A topic, subscription or snapshot does not exist. */
export class BusNotFoundError extends BusError {
  constructor(message: string, opts: { hint?: string; context?: ErrorContext } = {}) {
    super('BUS_NOT_FOUND', message, opts);
  }
}

/** A topic, subscription or snapshot of that name exists already. */
export class BusAlreadyExistsError extends BusError {
  constructor(message: string, opts: { hint?: string; context?: ErrorContext } = {}) {
    super('BUS_ALREADY_EXISTS', message, opts);
  }
}

/** A name, a configuration value or a request is invalid (says which and what is expected). */
export class BusInvalidArgumentError extends BusError {
  constructor(message: string, opts: { hint?: string; context?: ErrorContext } = {}) {
    super('BUS_INVALID_ARGUMENT', message, opts);
  }
}

/** The request is valid but the state does not allow it (a detached subscription, a snapshot past its topic's data). */
export class BusFailedPreconditionError extends BusError {
  constructor(message: string, opts: { hint?: string; context?: ErrorContext } = {}) {
    super('BUS_FAILED_PRECONDITION', message, opts);
  }
}

/** A published message does not match its topic's schema: the whole publish call is refused, naming the message. */
export class BusSchemaViolationError extends BusError {
  constructor(message: string, opts: { hint?: string; context?: ErrorContext } = {}) {
    super('BUS_SCHEMA_VIOLATION', message, opts);
  }
}

/** A subscription filter does not parse: says where and what was expected. */
export class BusFilterSyntaxError extends BusError {
  constructor(message: string, opts: { hint?: string; context?: ErrorContext } = {}) {
    super('BUS_FILTER_SYNTAX', message, opts);
  }
}

/** A publish with an ordering key whose earlier publish failed: call `resumePublish(key)` once the cause is handled. */
export class BusOrderingKeyPausedError extends BusError {
  constructor(message: string, opts: { hint?: string; context?: ErrorContext; cause?: unknown } = {}) {
    super('BUS_ORDERING_KEY_PAUSED', message, opts);
  }
}

/** The bus (or a stream) was closed. */
export class BusClosedError extends BusError {
  constructor(message = 'the bus is closed', opts: { hint?: string } = {}) {
    super('BUS_CLOSED', message, { domain: 'user', ...opts });
  }
}

/** A store file is damaged in the middle (not a torn tail): refused, naming the file and the byte offset. */
export class BusStorageCorruptError extends BusError {
  constructor(message: string, opts: { hint?: string; context?: ErrorContext; cause?: unknown } = {}) {
    super('BUS_STORAGE_CORRUPT', message, { domain: 'external', ...opts });
  }
}

/** The bus cannot be reached (a client's server is down) or a write to disk failed. */
export class BusUnavailableError extends BusError {
  constructor(message: string, opts: { hint?: string; context?: ErrorContext; cause?: unknown } = {}) {
    super('BUS_UNAVAILABLE', message, { domain: 'external', ...opts });
  }
}

const BY_CODE: Record<BusErrorCode, new (message: string, opts?: { hint?: string }) => BusError> = {
  BUS_NOT_FOUND: BusNotFoundError,
  BUS_ALREADY_EXISTS: BusAlreadyExistsError,
  BUS_INVALID_ARGUMENT: BusInvalidArgumentError,
  BUS_FAILED_PRECONDITION: BusFailedPreconditionError,
  BUS_SCHEMA_VIOLATION: BusSchemaViolationError,
  BUS_FILTER_SYNTAX: BusFilterSyntaxError,
  BUS_ORDERING_KEY_PAUSED: BusOrderingKeyPausedError,
  BUS_CLOSED: BusClosedError,
  BUS_STORAGE_CORRUPT: BusStorageCorruptError,
  BUS_UNAVAILABLE: BusUnavailableError,
};

/**
 * Rebuilds a bus error from its code and message (what a server sends); an unknown code becomes BusUnavailableError.
 * `message` should be the message without its hint line; pass the hint separately.
 */
export function busErrorFromCode(code: string, message: string, hint?: string): BusError {
  const Ctor = BY_CODE[code as BusErrorCode] ?? BusUnavailableError;
  return new Ctor(message, hint !== undefined ? { hint } : {});
}
