// One symbol's order book. Semantics: docs/matching.md. Layout of op and
// event rows: engine/book/layout.ts (mirrored in the constants below).
#pragma once
#include <cstdint>
#include <vector>

#include "bit-tree.h"
#include "huge-alloc.h"
#include "id-table.h"

namespace aurex {

constexpr uint32_t NIL = 0xffffffffu;
constexpr int OP_STRIDE = 8;
constexpr int EV_STRIDE = 8;
// A resting order in snapshot()/restore() rows: [id, account, side, price, remaining, ts].
constexpr int REST_STRIDE = 6;

constexpr double OP_NEW = 1, OP_CANCEL = 2, OP_REPLACE = 3;
enum EvKind : int { EV_ACCEPTED = 1, EV_REJECTED = 2, EV_TRADE = 3, EV_CANCELLED = 4, EV_REPLACED = 5, EV_LEVEL = 6, EV_RESTED = 7 };
enum OrderType : int { T_LIMIT = 0, T_MARKET = 1, T_IOC = 2, T_FOK = 3 };
constexpr int TYPE_MASK = 0x0f;
constexpr int FLAG_POST_ONLY = 0x10;
enum Stp : int { STP_CANCEL_RESTING = 0, STP_CANCEL_INCOMING = 1, STP_CANCEL_BOTH = 2 };

// A resting order: 48 bytes, linked into its level's FIFO by slot index.
// Field order matters in a deep book, where a cancel touches a random order:
// everything a cancel reads (id, remaining, links, price, side) is in the
// first 32 bytes, which lie within one 64-byte cache line for 3 of every 4
// slots (slot offsets cycle 0, 48, 32, 16 mod 64), whereas the whole 48-byte
// record straddles two lines for half of the slots. account (read only when
// matching, at the front of a level) and ts (snapshots) follow.
struct Order {
  int64_t id;
  int64_t remaining;
  uint32_t prev;
  uint32_t next;  // also the free-list link while the slot is free
  uint32_t price;
  uint8_t side;
  uint8_t pad[3];
  int64_t account;
  int64_t ts;
};
static_assert(sizeof(Order) == 48, "Order must stay 48 bytes");

struct Level {
  int64_t qty;
  uint32_t head;
  uint32_t tail;
  uint32_t count;
  uint32_t pad;
};

constexpr int PAGE_SHIFT = 12;
constexpr uint32_t PAGE_SIZE = 1u << PAGE_SHIFT;
constexpr uint32_t PAGE_MASK = PAGE_SIZE - 1;

// 4096 consecutive price levels plus their occupancy bits. Allocated on first
// use, so a 2^31 tick range costs only the page table until prices are used.
struct Page {
  Level levels[PAGE_SIZE];
  uint64_t bits[PAGE_SIZE / 64];
  uint64_t summary;  // bit w set when bits[w] != 0
};

// One side of the book: lazily paged levels, occupancy bitmap, cached best.
class BookSide {
 public:
  explicit BookSide(bool isBid) : isBid_(isBid) {}
  ~BookSide();
  bool init(uint32_t maxPrice);
  void reset();

  Level* find(uint32_t p) const {
    Page* pg = pages_[p >> PAGE_SHIFT];
    return pg ? &pg->levels[p & PAGE_MASK] : nullptr;
  }
  Level& at(uint32_t p) const { return pages_[p >> PAGE_SHIFT]->levels[p & PAGE_MASK]; }
  /** Returns the level, allocating its page; nullptr when out of memory. */
  Level* ensure(uint32_t p);
  void markNonEmpty(uint32_t p);
  void markEmpty(uint32_t p);
  /** Next occupied price strictly worse than p (bids: lower, asks: higher), or -1. */
  int64_t nextWorse(uint32_t p) const { return isBid_ ? findLE(static_cast<int64_t>(p) - 1) : findGE(static_cast<int64_t>(p) + 1); }
  int64_t best() const { return best_; }
  uint64_t bytes() const;
  /** Structural self-check of levels, bitmaps and best price; nullptr when sound. */
  const char* check() const;

 private:
  int64_t findGE(int64_t p) const;
  int64_t findLE(int64_t p) const;

  bool isBid_;
  int64_t best_ = -1;
  uint32_t nPages_ = 0;
  uint32_t pagesAllocated_ = 0;
  Page** pages_ = nullptr;
  PoolArray<uint32_t> used_;  // indices of the allocated pages, in allocation order
  BitTree pageTree_;  // which pages hold at least one occupied level
};

// Events go into the caller's registered buffer; rows that do not fit are kept
// in `overflow` until the wrapper has grown its buffer and calls drain().
// emit() bumps a write cursor against an end pointer (no row-index multiply,
// one well-predicted compare); `n` is the batch's row count once process()
// returns (drain() reads it).
struct EventSink {
  double* buf = nullptr;
  uint32_t capRows = 0;
  uint32_t n = 0;
  double op = 0;
  double* w = nullptr;
  double* end = nullptr;
  std::vector<double> overflow;

  void begin() {
    w = buf;
    end = buf ? buf + static_cast<uint64_t>(capRows) * EV_STRIDE : nullptr;
    overflow.clear();
  }
  uint32_t finish() {
    n = static_cast<uint32_t>((w - buf) / EV_STRIDE + overflow.size() / EV_STRIDE);
    return n;
  }

  inline void emit(double k, double a, double b, double c, double d, double e, double f) {
    double* r;
    if (__builtin_expect(w < end, 1)) {
      r = w;
      w += EV_STRIDE;
    } else {
      r = spill();
    }
    r[7] = op;
    r[0] = k;
    r[1] = a;
    r[2] = b;
    r[3] = c;
    r[4] = d;
    r[5] = e;
    r[6] = f;
  }

 private:
  __attribute__((noinline)) double* spill() {
    overflow.resize(overflow.size() + EV_STRIDE);
    return overflow.data() + overflow.size() - EV_STRIDE;
  }
};

/**
 * Index of the first op row that the TypeScript edge check (validateOps in
 * engine/book/validate.ts) might refuse, or n when every row passes. The
 * conditions are the same as that function's fast path (integers within
 * range, known kinds, sides and types); the native wrapper runs this instead
 * of the JS loop and, when a row fails, hands the batch back to validateOps so
 * the error thrown is exactly the one it would have thrown.
 */
uint32_t firstSuspectRow(const double* ops, uint32_t n);

class Book {
 public:
  Book(uint32_t maxPrice, int stp) : maxPrice_(maxPrice), stp_(stp), bids_(true), asks_(false) {}
  ~Book();
  Book(const Book&) = delete;
  Book& operator=(const Book&) = delete;
  bool init(uint32_t initialOrders);

  EventSink sink;

  /** Applies n op rows; returns the number of events (some may be in sink.overflow). */
  uint32_t process(const double* ops, uint32_t n);

  int64_t bestBid() const { return bids_.best(); }
  int64_t bestAsk() const { return asks_.best(); }
  int64_t bestQty(int side) const {
    const BookSide& s = side == 0 ? bids_ : asks_;
    return s.best() < 0 ? 0 : s.at(static_cast<uint32_t>(s.best())).qty;
  }
  /** Writes up to `levels` [price, qty, count] triples; returns how many. */
  uint32_t depth(int side, uint32_t levels, double* out) const;
  /** [account, side, price, remaining, ts] of a resting order. */
  bool orderInfo(int64_t id, double* out) const;
  uint64_t orderCount() const { return live_; }
  /**
   * Writes rows of [id, account, side, price, remaining, ts] in snapshot
   * order, at most capRows of them; returns how many orders rest on the
   * levels (the caller compares that with capRows, nothing is written past it).
   */
  uint64_t snapshot(double* out, uint64_t capRows) const;

  enum class RestoreStatus { OK, BAD_ROW, NO_MEMORY };
  /**
   * Replaces the book with rows in snapshot format. Every row is checked
   * first (integer values in range, price within 1..maxPrice, side 0|1,
   * remaining >= 1, book not crossed): a bad one returns BAD_ROW with its
   * index and a code (codes.h), and the book is unchanged. A duplicate id
   * (found while loading) returns BAD_ROW and running out of memory
   * NO_MEMORY; after those the book is left empty.
   */
  RestoreStatus restore(const double* rows, uint32_t n, uint32_t* badRow, int32_t* badCode);
  uint64_t stateHash() const;
  uint64_t memoryBytes() const;
  /**
   * Verifies every structural invariant (for tests): not crossed, bitmaps
   * match non-empty levels, aggregates and counts equal their orders, FIFO
   * links consistent, every resting order reachable through the id table.
   * Returns nullptr when sound, else a description of the first violation.
   */
  const char* check() const;

 private:
  // Below this many resting orders the book's working set stays in cache.
  static constexpr uint64_t PREFETCH_MIN_ORDERS = 16384;
  void prefetchOp(const double* r, int stage) const;
  void apply(const double* r);
  void doNew(const double* r);
  void doCancel(int64_t id);
  void doReplace(int64_t id, double newPrice, int64_t newQty);
  // Matches an accepted order and then rests or cancels its remainder.
  // type is the effective OrderType (REPLACE re-enters as T_LIMIT).
  void execute(int64_t id, int64_t account, int side, int type, int64_t limit, int64_t qty, int64_t ts) {
    if (side == 0) executeSide<0>(id, account, type, limit, qty, ts);
    else executeSide<1>(id, account, type, limit, qty, ts);
  }
  template <int SIDE>
  void executeSide(int64_t id, int64_t account, int type, int64_t limit, int64_t qty, int64_t ts);
  bool fokFillable(int side, int64_t account, int64_t limit, int64_t qty) const;
  bool rest(int64_t id, int64_t account, int side, uint32_t price, int64_t qty, int64_t ts);
  void unlink(BookSide& s, Level& L, uint32_t slot, uint32_t price);
  void freeSlot(uint32_t slot);
  uint32_t allocSlot();
  void emitLevel(int side, uint32_t price, const Level& L) { sink.emit(EV_LEVEL, side, price, static_cast<double>(L.qty), L.count, 0, 0); }
  /** Empties the book (levels, pool, id index); keeps the allocated capacity. */
  void clear();
  /** 0 when a snapshot row's values are in range for this book, else the code of the first bad value. */
  int32_t restoreRowError(const double* r) const;

  uint32_t maxPrice_;
  int stp_;
  BookSide bids_;
  BookSide asks_;
  PoolArray<Order> pool_;
  uint32_t freeHead_ = NIL;
  // Order id -> pool slot. Engine ids are increasing and dense, so the live
  // ones mostly fit a direct-mapped ring indexed by id & ringMask_: one 4-byte
  // load, verified against the order's own id, and O(1) erase. An older live
  // order whose cell is needed by a newer id moves to spill_ (a hash table);
  // when spill_ gets large relative to the ring, the ring doubles. Any id
  // pattern stays correct (spill_ holds what the ring cannot); only the
  // speed depends on density.
  uint32_t* ring_ = nullptr;
  uint64_t ringMask_ = 0;
  IdTable spill_;
  uint64_t live_ = 0;
  bool ringInit(uint64_t cap);
  bool ringGrow();
  /** Places id/slot, moving the ring's current occupant (if any) to spill_. */
  bool ringPlace(int64_t id, uint32_t slot);
  uint32_t lookup(int64_t id) const {
    const uint32_t s = ring_[static_cast<uint64_t>(id) & ringMask_];
    if (s != NIL && pool_[s].id == id) return s;
    if (__builtin_expect(spill_.size() == 0, 1)) return NIL;
    const uint32_t t = spill_.find(id);
    return t == IdTable::NONE ? NIL : t;
  }
  bool indexInsert(int64_t id, uint32_t slot) {
    uint32_t& e = ring_[static_cast<uint64_t>(id) & ringMask_];
    if (__builtin_expect(e == NIL, 1)) {
      e = slot;
      live_++;
      return true;
    }
    return indexInsertSlow(id, slot);
  }
  bool indexInsertSlow(int64_t id, uint32_t slot);
  void indexErase(int64_t id, uint32_t slot) {
    uint32_t& e = ring_[static_cast<uint64_t>(id) & ringMask_];
    if (e == slot) e = NIL;
    else spill_.erase(id);
    live_--;
  }
  // Ids come from the engine in increasing order: an id above every id seen
  // so far cannot be live, which skips the duplicate lookup for almost every
  // new order. Exact, not a heuristic: any id <= maxIdSeen_ is looked up.
  int64_t maxIdSeen_ = 0;
};

}  // namespace aurex
