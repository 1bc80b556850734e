-- Aurex trading records (engine/persistence): the store of record written behind the engine.
-- Prices are integer ticks of the symbol, quantities integer shares, cash integer minor units (cents).
-- Ids are the engine's integer ids (BIGINT). Every statement is idempotent (IF NOT EXISTS).
-- Depends on 0001_auth.sql (users).

CREATE TABLE IF NOT EXISTS stocks (
  symbol           VARCHAR(16) PRIMARY KEY,
  company_name     VARCHAR(255) NOT NULL,
  tick_size        BIGINT NOT NULL DEFAULT 1,       -- minor units per tick
  lot_size         BIGINT NOT NULL DEFAULT 1,
  reference_price  BIGINT NOT NULL DEFAULT 0,       -- ticks
  last_price       BIGINT NOT NULL DEFAULT 0,       -- ticks (0 = no trade yet)
  bid_price        BIGINT,                          -- ticks (NULL = empty side)
  ask_price        BIGINT,
  volume           BIGINT NOT NULL DEFAULT 0,       -- shares traded
  market_cap       NUMERIC(20,2),
  halted           BOOLEAN NOT NULL DEFAULT FALSE,
  updated_ms       BIGINT NOT NULL DEFAULT 0,       -- engine timestamp of the last change
  updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Engine accounts. An account belongs to at most one user (users.account_id, from the auth schema);
-- accounts created by the engine alone (demo, benchmarks) have no user.
CREATE TABLE IF NOT EXISTS accounts (
  account_id       BIGINT PRIMARY KEY CHECK (account_id >= 0),
  cash             BIGINT NOT NULL,                 -- minor units
  reserved_cash    BIGINT NOT NULL DEFAULT 0,
  open_orders      INTEGER NOT NULL DEFAULT 0,
  last_seq         BIGINT NOT NULL DEFAULT 0,
  updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS positions (
  account_id       BIGINT NOT NULL REFERENCES accounts (account_id) DEFERRABLE INITIALLY DEFERRED,
  symbol           VARCHAR(16) NOT NULL,
  shares           BIGINT NOT NULL,
  reserved         BIGINT NOT NULL DEFAULT 0,
  last_seq         BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (account_id, symbol)
);

-- Every order in its latest state (resting, filled, cancelled and rejected ones alike).
CREATE TABLE IF NOT EXISTS orders (
  order_id         BIGINT PRIMARY KEY,
  account_id       BIGINT NOT NULL,
  client_order_id  VARCHAR(64) NOT NULL,
  symbol           VARCHAR(16) NOT NULL,
  side             SMALLINT NOT NULL CHECK (side IN (0, 1)),       -- 0=BUY, 1=SELL
  type             SMALLINT NOT NULL CHECK (type BETWEEN 0 AND 5), -- 0=MARKET 1=LIMIT 2=IOC 3=FOK 4=STOP 5=STOP_LIMIT
  quantity         BIGINT NOT NULL,
  price            BIGINT NOT NULL,                 -- ticks (0 for market)
  stop_price       BIGINT NOT NULL DEFAULT 0,
  post_only        BOOLEAN NOT NULL DEFAULT FALSE,
  filled_qty       BIGINT NOT NULL DEFAULT 0,
  remaining_qty    BIGINT NOT NULL DEFAULT 0,
  filled_notional  BIGINT NOT NULL DEFAULT 0,       -- sum of fill price ticks * qty
  status           VARCHAR(20) NOT NULL,            -- NEW OPEN PARTIALLY_FILLED FILLED CANCELLED REJECTED EXPIRED
  code             INTEGER NOT NULL DEFAULT 0,      -- engine/codes.ts: reject code or cancel reason
  timestamp_ms     BIGINT NOT NULL,                 -- created (engine time)
  updated_ms       BIGINT NOT NULL,
  last_seq         BIGINT NOT NULL,                 -- journal sequence of the last change
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS idx_orders_account_id ON orders (account_id, order_id);
CREATE INDEX IF NOT EXISTS idx_orders_symbol ON orders (symbol);
CREATE INDEX IF NOT EXISTS idx_orders_timestamp ON orders (timestamp_ms);

CREATE TABLE IF NOT EXISTS trades (
  trade_id         BIGINT PRIMARY KEY,
  buy_order_id     BIGINT NOT NULL REFERENCES orders (order_id) DEFERRABLE INITIALLY DEFERRED,
  sell_order_id    BIGINT NOT NULL REFERENCES orders (order_id) DEFERRABLE INITIALLY DEFERRED,
  symbol           VARCHAR(16) NOT NULL,
  quantity         BIGINT NOT NULL,
  price            BIGINT NOT NULL,                 -- ticks
  buyer_id         BIGINT NOT NULL,                 -- account ids
  seller_id        BIGINT NOT NULL,
  aggressor        SMALLINT NOT NULL,               -- 0=BUY 1=SELL
  buy_fee          BIGINT NOT NULL DEFAULT 0,       -- minor units
  sell_fee         BIGINT NOT NULL DEFAULT 0,
  seq              BIGINT NOT NULL,
  timestamp_ms     BIGINT NOT NULL,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS idx_trades_symbol ON trades (symbol, trade_id);
CREATE INDEX IF NOT EXISTS idx_trades_buyer ON trades (buyer_id, trade_id);
CREATE INDEX IF NOT EXISTS idx_trades_seller ON trades (seller_id, trade_id);

-- Sessions of the design (the live session store is Redis or in-process; this is the durable record).
CREATE TABLE IF NOT EXISTS user_sessions (
  id                  BIGSERIAL PRIMARY KEY,
  user_id             UUID REFERENCES users (id) ON DELETE CASCADE,
  session_token       VARCHAR(255) UNIQUE NOT NULL,   -- store a hash, never the bearer token itself
  trading_token       VARCHAR(255) UNIQUE NOT NULL,
  ip_address          INET,
  user_agent          TEXT,
  expires_at          TIMESTAMPTZ NOT NULL,
  trading_expires_at  TIMESTAMPTZ NOT NULL,
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_activity       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS idx_user_sessions_user_id ON user_sessions (user_id);

-- The write-behind writer's committed journal position, updated in the same transaction as its rows.
CREATE TABLE IF NOT EXISTS writer_position (
  writer      TEXT PRIMARY KEY,
  seq         BIGINT NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
