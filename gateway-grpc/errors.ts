/**
 * Mapping of Aurex result codes (engine/codes.ts) to gRPC statuses.
 *
 * Every error the gateway sends carries the stable code twice: in the status
 * message, which starts with the code's name ("INSUFFICIENT_CASH: ..."), and in
 * trailing metadata `x-aurex-code` (number) and `x-aurex-reason` (name), so
 * clients never parse free text. See docs/grpc-api.md for the table.
 */
import { randomBytes } from 'node:crypto';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { AurexError, Code, codeName } from '../engine/codes.ts';

export const CODE_HEADER = 'x-aurex-code';
export const REASON_HEADER = 'x-aurex-reason';

/** The gRPC status for a (non-OK) Aurex code. */
export function grpcStatusFor(code: Code): status {
  switch (code) {
    case Code.OK:
      return status.OK;
    // not found
    case Code.UNKNOWN_SYMBOL:
    case Code.UNKNOWN_ORDER:
    case Code.UNKNOWN_ACCOUNT:
    case Code.UNKNOWN_INDEX:
    case Code.UNKNOWN_USER:
      return status.NOT_FOUND;
    // already exists
    case Code.DUPLICATE_ORDER_ID:
    case Code.DUPLICATE_CLIENT_ORDER_ID:
    case Code.ACCOUNT_EXISTS:
    case Code.SYMBOL_EXISTS:
    case Code.EMAIL_TAKEN:
      return status.ALREADY_EXISTS;
    // malformed or outside the symbol's static limits
    case Code.PRICE_OFF_TICK:
    case Code.QUANTITY_OFF_LOT:
    case Code.QUANTITY_NOT_POSITIVE:
    case Code.QUANTITY_ABOVE_MAX:
    case Code.NOTIONAL_ABOVE_MAX:
    case Code.BOOK_PRICE_OUT_OF_RANGE:
    case Code.WEAK_PASSWORD:
    case Code.INVALID_EMAIL:
    case Code.MALFORMED_FRAME:
    case Code.UNKNOWN_MESSAGE_TYPE:
    case Code.BAD_FRAME_LENGTH:
    case Code.INVALID_ENUM:
      return status.INVALID_ARGUMENT;
    // auth
    case Code.UNAUTHENTICATED:
    case Code.TOKEN_EXPIRED:
    case Code.TOKEN_REVOKED:
    case Code.TOKEN_MALFORMED:
    case Code.INVALID_CREDENTIALS:
    case Code.TOTP_REQUIRED:
    case Code.TOTP_INVALID:
    case Code.TOTP_REUSED:
    case Code.NOT_LOGGED_IN:
    case Code.LOGGED_OUT:
      return status.UNAUTHENTICATED;
    case Code.PERMISSION_DENIED:
    case Code.NOT_ORDER_OWNER:
    case Code.USER_LOCKED:
      return status.PERMISSION_DENIED;
    // resource limits
    case Code.RATE_LIMITED:
    case Code.ORDER_RATE_EXCEEDED:
    case Code.TOO_MANY_FAILED_LOGINS:
    case Code.SLOW_CONSUMER:
    case Code.MESSAGE_TOO_LARGE:
    case Code.BOOK_FULL:
      return status.RESOURCE_EXHAUSTED;
    // system
    case Code.SHUTTING_DOWN:
    case Code.NOT_READY:
    case Code.JOURNAL_FAILURE:
      return status.UNAVAILABLE;
    case Code.HEARTBEAT_TIMEOUT:
      return status.DEADLINE_EXCEEDED;
    case Code.INTERNAL:
      return status.INTERNAL;
    default:
      if (code >= 100 && code < 200) return status.INVALID_ARGUMENT;
      // Book rejects, cancel reasons and risk rejects: the state of the
      // exchange or the account does not allow it (insufficient cash/shares,
      // halted, band, post-only would cross, order not open ...).
      if (code >= 200 && code < 500) return status.FAILED_PRECONDITION;
      if (code >= 500 && code < 600) return status.PERMISSION_DENIED;
      if (code >= 600 && code < 700) return status.INVALID_ARGUMENT;
      return status.INTERNAL;
  }
}

/** Trailing metadata carrying the stable code. */
export function codeMetadata(code: Code): Metadata {
  const md = new Metadata();
  md.set(CODE_HEADER, String(code));
  md.set(REASON_HEADER, codeName(code));
  return md;
}

/** A grpc-js ServiceError for an Aurex code; `details` starts with the code's name. */
export function serviceError(code: Code, message?: string): ServiceError {
  const name = codeName(code);
  const details = message && message !== name ? `${name}: ${message}` : name;
  const err = new Error(details) as ServiceError;
  err.code = grpcStatusFor(code);
  err.details = details;
  err.metadata = codeMetadata(code);
  return err;
}

/** Any thrown value as a ServiceError: AurexError keeps its code, anything else is INTERNAL. */
export function toServiceError(e: unknown): ServiceError {
  if (e instanceof AurexError) return serviceError(e.code, e.message);
  const anyE = e as { code?: unknown; message?: unknown } | null;
  // Errors of other Aurex modules may carry a numeric Code without being AurexError instances.
  if (anyE && typeof anyE.code === 'number' && anyE.code >= 100 && anyE.code < 800) {
    return serviceError(anyE.code as Code, typeof anyE.message === 'string' ? anyE.message : undefined);
  }
  // An unexpected failure: the client gets a reference it can quote, the operator's log gets the error.
  const ref = randomBytes(6).toString('hex');
  internalErrorReporter?.(e, ref);
  return serviceError(Code.INTERNAL, `internal error (ref ${ref})`);
}

type InternalErrorReporter = (err: unknown, ref: string) => void;
let internalErrorReporter: InternalErrorReporter | undefined;

/** Where unexpected handler errors are reported (the gateway's logger), with the reference sent to the client. */
export function setInternalErrorReporter(r: InternalErrorReporter | undefined): void {
  internalErrorReporter = r;
}

/** The stable code of an error received by a client (from trailing metadata), or undefined. */
export function codeOf(err: { metadata?: Metadata } | null | undefined): Code | undefined {
  const v = err?.metadata?.get(CODE_HEADER)[0];
  return v === undefined ? undefined : (Number(v) as Code);
}
