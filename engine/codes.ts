/**
 * Every result, reject and cancel reason in Aurex is one numeric code from this enum.
 * Codes are stable: they appear on the wire (gRPC trailing metadata, TCP frames), in the
 * journal and in PostgreSQL. Never renumber; only append.
 *
 * Ranges, one per pipeline stage (the idea is exchange-core's):
 *   0        OK
 *   100-199  validation at the edge (malformed input; never reaches the engine)
 *   200-299  order book rejects (produced by the native core and the reference book)
 *   300-399  cancel reasons (why an order or its remainder left the book)
 *   400-499  engine / pre-trade risk rejects
 *   500-599  authentication, authorisation, rate limits
 *   600-699  gateway and protocol errors
 *   700-799  system (journal, shutdown, readiness)
 */
export enum Code {
  OK = 0,

  // 100-199 validation
  INVALID_ARGUMENT = 100,
  INVALID_PRICE = 101,
  INVALID_QUANTITY = 102,
  INVALID_SIDE = 103,
  INVALID_ORDER_TYPE = 104,
  INVALID_ORDER_ID = 105,
  INVALID_ACCOUNT_ID = 106,
  INVALID_SYMBOL = 107,
  INVALID_CLIENT_ORDER_ID = 108,
  INVALID_TIME_IN_FORCE = 109,
  INVALID_STOP_PRICE = 110,
  VALUE_OUT_OF_RANGE = 111,
  MISSING_FIELD = 112,
  INVALID_CONFIG = 113,

  // 200-299 book rejects (values shared with native/; keep in sync with native/codes.h)
  DUPLICATE_ORDER_ID = 200,
  UNKNOWN_ORDER = 201,
  POST_ONLY_WOULD_CROSS = 202,
  REPLACE_NOT_ALLOWED = 203,
  BOOK_PRICE_OUT_OF_RANGE = 204,
  BOOK_FULL = 205,

  // 300-399 cancel reasons
  CANCEL_BY_USER = 300,
  CANCEL_IOC_REMAINDER = 301,
  CANCEL_MARKET_REMAINDER = 302,
  CANCEL_NO_LIQUIDITY = 303,
  CANCEL_FOK_NOT_FILLABLE = 304,
  CANCEL_SELF_TRADE_RESTING = 305,
  CANCEL_SELF_TRADE_INCOMING = 306,
  CANCEL_BY_ADMIN = 307,
  CANCEL_ON_DISCONNECT = 308,
  CANCEL_EXPIRED = 309,
  CANCEL_REPLACED = 310,
  CANCEL_SYMBOL_REMOVED = 311,

  // 400-499 engine / risk
  UNKNOWN_SYMBOL = 400,
  SYMBOL_HALTED = 401,
  PRICE_OFF_TICK = 402,
  PRICE_OUTSIDE_BAND = 403,
  QUANTITY_OFF_LOT = 404,
  QUANTITY_NOT_POSITIVE = 405,
  QUANTITY_ABOVE_MAX = 406,
  NOTIONAL_ABOVE_MAX = 407,
  INSUFFICIENT_BUYING_POWER = 408,
  INSUFFICIENT_SHARES = 409,
  DUPLICATE_CLIENT_ORDER_ID = 410,
  TOO_MANY_OPEN_ORDERS = 411,
  ORDER_RATE_EXCEEDED = 412,
  UNKNOWN_ACCOUNT = 413,
  NOT_ORDER_OWNER = 414,
  ORDER_NOT_OPEN = 415,
  ACCOUNT_EXISTS = 416,
  SYMBOL_EXISTS = 417,
  INSUFFICIENT_CASH = 418,
  UNKNOWN_INDEX = 419,
  NO_REFERENCE_PRICE = 420,

  // 500-599 auth
  UNAUTHENTICATED = 500,
  TOKEN_EXPIRED = 501,
  TOKEN_REVOKED = 502,
  TOKEN_MALFORMED = 503,
  PERMISSION_DENIED = 504,
  RATE_LIMITED = 505,
  INVALID_CREDENTIALS = 506,
  TOTP_REQUIRED = 507,
  TOTP_INVALID = 508,
  TOTP_REUSED = 509,
  USER_LOCKED = 510,
  TOO_MANY_FAILED_LOGINS = 511,
  WEAK_PASSWORD = 512,
  EMAIL_TAKEN = 513,
  UNKNOWN_USER = 514,
  INVALID_EMAIL = 515,

  // 600-699 gateway / protocol
  MALFORMED_FRAME = 600,
  UNKNOWN_MESSAGE_TYPE = 601,
  BAD_FRAME_LENGTH = 602,
  NOT_LOGGED_IN = 603,
  UNSUPPORTED_PROTOCOL_VERSION = 604,
  SLOW_CONSUMER = 605,
  HEARTBEAT_TIMEOUT = 606,
  ALREADY_LOGGED_IN = 607,
  MESSAGE_TOO_LARGE = 608,
  INVALID_ENUM = 609,
  LOGGED_OUT = 610,

  // 700-799 system
  JOURNAL_FAILURE = 700,
  SHUTTING_DOWN = 701,
  NOT_READY = 702,
  INTERNAL = 799,
}

/** Stable upper-snake name of a code, e.g. codeName(408) === "INSUFFICIENT_BUYING_POWER". */
export function codeName(code: number): string {
  return (Code as unknown as Record<number, string>)[code] ?? `CODE_${code}`;
}

/** An error carrying a stable numeric code. Thrown at the edges for malformed input. */
export class AurexError extends Error {
  readonly code: Code;
  constructor(code: Code, message?: string) {
    super(message ?? codeName(code));
    this.name = 'AurexError';
    this.code = code;
  }
  get codeName(): string {
    return codeName(this.code);
  }
}
