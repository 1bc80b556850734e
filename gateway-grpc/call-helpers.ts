/**
 * Plumbing shared by every handler: authenticate, validate, answer with a
 * mapped status. Keeps the handlers free of error-handling boilerplate and the
 * order path free of promises when the token validation is cached.
 */
import { status, type Metadata, type sendUnaryData, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { AurexError, Code } from '../engine/codes.ts';
import type { AuthManager } from '../engine/auth/index.ts';
import type { Principal } from '../engine/types.ts';
import { authenticateCall, type MethodClass } from './auth-context.ts';
import { toServiceError } from './errors.ts';
import { isMalformed } from './service-defs.ts';

export interface MethodSpec {
  cls: MethodClass;
  /** Name used for the auth manager's query rate limit (undefined: no per-call query limit). */
  rateName?: string;
}

/** True when the call's deadline has passed (commands are then not executed). */
export function deadlinePassed(call: { getDeadline(): Date | number }): boolean {
  const d = call.getDeadline();
  const ms = typeof d === 'number' ? d : d.getTime();
  return Number.isFinite(ms) && ms <= Date.now();
}

export function deadlineError(): ServiceError {
  const err = new Error('deadline exceeded before the call was processed') as ServiceError;
  err.code = status.DEADLINE_EXCEEDED;
  err.details = err.message;
  return err;
}

export type UnaryBody<Req, Res> = (p: Principal, req: Req, call: ServerUnaryCall<Req, Res>, done: sendUnaryData<Res>) => void | Promise<void>;

/**
 * A unary handler: malformed bytes -> INVALID_ARGUMENT(MALFORMED_FRAME); auth ->
 * principal (sync when cached); any thrown AurexError -> its status. The body
 * answers through `done` (possibly later, e.g. after the engine's callback).
 */
export function unaryHandler<Req, Res>(auth: AuthManager | undefined, spec: MethodSpec | undefined, body: UnaryBody<Req, Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    let answered = false;
    const done: sendUnaryData<Res> = (err, value) => {
      if (answered) return;
      answered = true;
      if (err) callback(err);
      else callback(null, value);
    };
    const fail = (e: unknown) => done(toServiceError(e));
    try {
      if (isMalformed(call.request)) throw new AurexError(Code.MALFORMED_FRAME, 'request could not be decoded');
      if (spec === undefined || auth === undefined) {
        const r = body(undefined as unknown as Principal, call.request, call, done);
        if (r instanceof Promise) r.catch(fail);
        return;
      }
      const p = authenticateCall(auth, call.metadata, spec.cls, spec.rateName);
      if (p instanceof Promise) {
        p.then((principal) => body(principal, call.request, call, done)).catch(fail);
      } else {
        const r = body(p, call.request, call, done);
        if (r instanceof Promise) r.catch(fail);
      }
    } catch (e) {
      fail(e);
    }
  };
}

/** The refusal for a non-OK AuthManager.checkOrderRate code (RATE_LIMITED, or INVALID_ACCOUNT_ID for a bad principal). */
export function orderRateError(code: Code): AurexError {
  return new AurexError(code, code === Code.RATE_LIMITED ? 'order rate limit exceeded' : 'order refused by the rate check');
}

/** Authenticate a streaming call (async); throws AurexError. */
export async function streamPrincipal(auth: AuthManager, md: Metadata, spec: MethodSpec): Promise<Principal> {
  return await authenticateCall(auth, md, spec.cls, spec.rateName);
}
