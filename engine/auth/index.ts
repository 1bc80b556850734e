/** Public surface of the auth manager (engine/auth). See docs/auth.md. */
export { AuthManager } from './auth-manager.ts';
export type { AuthManagerOptions, ProvisionAccount, RateLimitOptions, LoginFailureOptions } from './auth-manager.ts';
export { createAuthManager } from './create-auth-manager.ts';
export type { CreateAuthManagerOptions } from './create-auth-manager.ts';
export { seedDemoUsers, DEMO_USERS } from './demo-users.ts';
export type { DemoUser, SeededUser, SeedOptions } from './demo-users.ts';
export type {
  Clock,
  CreateUserInput,
  LoginInput,
  LoginResult,
  RefreshResult,
  Subscription,
  TotpEnrolment,
  UserView,
} from './auth-types.ts';
export type { UserStore } from './user-store.ts';
export type { SessionStore } from './session-store.ts';
export type { AuditSink, AuditEvent } from './audit.ts';
export { FileUserStore } from './file-user-store.ts';
export { PgUserStore, AUTH_SQL_DIR } from './pg-user-store.ts';
export { MemorySessionStore } from './memory-session-store.ts';
export { RedisSessionStore } from './redis-session-store.ts';
export { FileAuditSink, PgAuditSink, MemoryAuditSink } from './audit.ts';
export type { EndpointClass } from './endpoints.ts';
export { totpCode } from './totp.ts';
