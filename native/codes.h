// Numeric codes the book emits. The single source of names is engine/codes.ts
// (enum Code); these values must stay equal to it. test/10-book-native.test.ts
// compares them through the addon's codes() export.
#pragma once
#include <cstdint>

namespace aurex::code {
// 100-199: only used defensively when a malformed op or snapshot row slips
// past the TS edge (Book::restore reports which value of a row is bad).
constexpr int32_t INVALID_ARGUMENT = 100;
constexpr int32_t INVALID_PRICE = 101;
constexpr int32_t INVALID_QUANTITY = 102;
constexpr int32_t INVALID_SIDE = 103;
constexpr int32_t INVALID_ORDER_ID = 105;
constexpr int32_t INVALID_ACCOUNT_ID = 106;
constexpr int32_t VALUE_OUT_OF_RANGE = 111;

// 200-299 book rejects
constexpr int32_t DUPLICATE_ORDER_ID = 200;
constexpr int32_t UNKNOWN_ORDER = 201;
constexpr int32_t POST_ONLY_WOULD_CROSS = 202;
constexpr int32_t REPLACE_NOT_ALLOWED = 203;
constexpr int32_t BOOK_PRICE_OUT_OF_RANGE = 204;
constexpr int32_t BOOK_FULL = 205;

// 300-399 cancel reasons
constexpr int32_t CANCEL_BY_USER = 300;
constexpr int32_t CANCEL_IOC_REMAINDER = 301;
constexpr int32_t CANCEL_MARKET_REMAINDER = 302;
constexpr int32_t CANCEL_NO_LIQUIDITY = 303;
constexpr int32_t CANCEL_FOK_NOT_FILLABLE = 304;
constexpr int32_t CANCEL_SELF_TRADE_RESTING = 305;
constexpr int32_t CANCEL_SELF_TRADE_INCOMING = 306;
}  // namespace aurex::code

// Name/value table exported to JS for the agreement test.
#define AUREX_CODE_LIST(X)            \
  X(INVALID_ARGUMENT)                 \
  X(INVALID_PRICE)                    \
  X(INVALID_QUANTITY)                 \
  X(INVALID_SIDE)                     \
  X(INVALID_ORDER_ID)                 \
  X(INVALID_ACCOUNT_ID)               \
  X(VALUE_OUT_OF_RANGE)               \
  X(DUPLICATE_ORDER_ID)               \
  X(UNKNOWN_ORDER)                    \
  X(POST_ONLY_WOULD_CROSS)            \
  X(REPLACE_NOT_ALLOWED)              \
  X(BOOK_PRICE_OUT_OF_RANGE)          \
  X(BOOK_FULL)                        \
  X(CANCEL_BY_USER)                   \
  X(CANCEL_IOC_REMAINDER)             \
  X(CANCEL_MARKET_REMAINDER)          \
  X(CANCEL_NO_LIQUIDITY)              \
  X(CANCEL_FOK_NOT_FILLABLE)          \
  X(CANCEL_SELF_TRADE_RESTING)        \
  X(CANCEL_SELF_TRADE_INCOMING)
