/**
 * Bearer-token authentication of gRPC calls through the shared auth manager.
 *
 * The gateway classifies its own methods (the auth manager's name-based
 * classifier would count OrderStatus as an order); role rules are the auth
 * manager's: orders need trader or admin, admin methods need admin, queries
 * any role. The account always comes from the token.
 */
import type { Metadata } from '@grpc/grpc-js';
import { AurexError, Code } from '../engine/codes.ts';
import type { AuthManager } from '../engine/auth/index.ts';
import type { Principal, Role } from '../engine/types.ts';

export type MethodClass = 'order' | 'query' | 'admin';

const BEARER_RE = /^bearer\s+(\S+)\s*$/i;

/** The token of `authorization: Bearer <token>` metadata, or undefined. */
export function bearerOf(md: Metadata): string | undefined {
  const v = md.get('authorization');
  if (v.length !== 1 || typeof v[0] !== 'string') return undefined;
  const m = BEARER_RE.exec(v[0]);
  return m === null || m[1]!.length > 4096 ? undefined : m[1];
}

export function roleMayCall(role: Role, cls: MethodClass): boolean {
  if (cls === 'query') return true;
  if (cls === 'order') return role === 'trader' || role === 'admin';
  return role === 'admin';
}

/**
 * Authenticates a call: the principal, or throws AurexError (UNAUTHENTICATED,
 * TOKEN_*, PERMISSION_DENIED, RATE_LIMITED for queries over their limit).
 * Order methods are rate limited per order by the caller (checkOrderRate).
 * Returns synchronously (no promise) when the token validation is cached.
 */
export function authenticateCall(
  auth: AuthManager,
  md: Metadata,
  cls: MethodClass,
  rateName: string | undefined,
): Principal | Promise<Principal> {
  const token = bearerOf(md);
  if (token === undefined) throw new AurexError(Code.UNAUTHENTICATED, 'missing authorization: Bearer <token> metadata');
  const cached = auth.authenticateCached(token);
  if (cached !== undefined && rateName === undefined) {
    if (!roleMayCall(cached.role, cls)) throw new AurexError(Code.PERMISSION_DENIED, `role ${cached.role} may not call this method`);
    return cached;
  }
  return (async () => {
    const p = cached ?? (await auth.authenticate(token));
    if (!roleMayCall(p.role, cls)) throw new AurexError(Code.PERMISSION_DENIED, `role ${p.role} may not call this method`);
    if (rateName !== undefined) await auth.checkRate(p, rateName);
    return p;
  })();
}

/** The request's user_id, when set, must be the caller's own. */
export function checkUserId(p: Principal, userId: string | undefined): void {
  if (userId !== undefined && userId !== '' && userId !== p.userId) {
    throw new AurexError(Code.PERMISSION_DENIED, 'user_id does not match the authenticated user');
  }
}
