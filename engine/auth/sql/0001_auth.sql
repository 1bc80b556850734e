-- Aurex auth manager (engine/auth): users and the audit log.
-- Idempotent (IF NOT EXISTS) so the store can also apply it itself before the migration runner exists.

CREATE SEQUENCE IF NOT EXISTS auth_account_id_seq AS BIGINT START WITH 1 MINVALUE 1 NO CYCLE;

CREATE TABLE IF NOT EXISTS users (
  id                UUID PRIMARY KEY,
  email             VARCHAR(254) NOT NULL UNIQUE,           -- normalised: trimmed, NFKC, lower case
  password_hash     TEXT NOT NULL,                          -- scrypt$log2N$r$p$salt$hash
  role              TEXT NOT NULL CHECK (role IN ('trader', 'admin', 'readonly')),
  account_id        BIGINT NOT NULL UNIQUE CHECK (account_id > 0),
  totp_enabled      BOOLEAN NOT NULL DEFAULT FALSE,
  totp_secret       TEXT,                                   -- AES-256-GCM sealed (engine/auth/secret-box.ts)
  totp_last_step    BIGINT NOT NULL DEFAULT 0,              -- replay guard: last accepted time step
  totp_backup_codes TEXT[] NOT NULL DEFAULT '{}',           -- sha256 hex of unused backup codes
  locked            BOOLEAN NOT NULL DEFAULT FALSE,
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS audit_log (
  id       BIGSERIAL PRIMARY KEY,
  ts       TIMESTAMPTZ NOT NULL,
  event    TEXT NOT NULL,          -- login, login_failed, lockout, logout, revoke, lock, unlock, ...
  user_id  UUID,
  email    TEXT,
  address  TEXT,
  code     INTEGER,                -- engine/codes.ts code of a failure
  detail   TEXT
);

CREATE INDEX IF NOT EXISTS audit_log_user_ts ON audit_log (user_id, ts);
CREATE INDEX IF NOT EXISTS audit_log_ts ON audit_log (ts);
