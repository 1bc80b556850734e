/**
 * Where users live. Two implementations: a JSON file in the data directory (embedded default)
 * and PostgreSQL. Both allocate account ids densely from 1 and never reuse one (a creation that
 * fails after allocation leaves a gap rather than risk two users on one engine account).
 */
import type { UserRecord } from './auth-types.ts';

export type UserPatch = Partial<Pick<UserRecord, 'passwordHash' | 'role' | 'totpEnabled' | 'totpSecret' | 'totpLastStep' | 'backupCodes' | 'locked'>>;

export interface UserStore {
  readonly kind: 'file' | 'postgres';
  /** Load / create what the store needs (idempotent). */
  init(): Promise<void>;
  /** The next account id (1, 2, 3 ...), durable before it is returned. */
  allocateAccountId(): Promise<number>;
  /** Insert a new user; throws AurexError(EMAIL_TAKEN) when the email is in use. */
  insert(u: UserRecord): Promise<void>;
  getById(id: string): Promise<UserRecord | undefined>;
  getByEmail(email: string): Promise<UserRecord | undefined>;
  /** Apply a patch (sets updatedAt); throws AurexError(UNKNOWN_USER). */
  update(id: string, patch: UserPatch, now: number): Promise<UserRecord>;
  delete(id: string): Promise<void>;
  /** Users ordered by account id. */
  list(offset: number, limit: number): Promise<UserRecord[]>;
  /** Compare-and-set: record `step` as the last used TOTP step if it is later than the stored one. */
  advanceTotpStep(id: string, step: number, now: number): Promise<boolean>;
  /** Remove one backup-code hash; false when it was not there (unknown or already used). */
  consumeBackupCode(id: string, codeHash: string, now: number): Promise<boolean>;
  close(): Promise<void>;
}
