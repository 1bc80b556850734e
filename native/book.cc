// Matching engine for one symbol. See docs/matching.md for the semantics and
// the exact order of events; the TypeScript reference book
// (engine/book/reference-book.ts) is the executable specification this file
// is differentially tested against.
#include "book.h"

#include <cstdlib>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define AUREX_AVX2_CHECK 1
#endif

#include "codes.h"

namespace aurex {

// ------------------------------------------------------------------ BookSide
// Only the pages ever allocated are visited: the page table covers every price
// up to maxPrice (megabytes, mostly never touched), and scanning it whole
// faulted in all of it on every close and reset.
BookSide::~BookSide() {
  for (uint32_t k = 0; k < used_.size(); k++) free(pages_[used_[k]]);
  sparseFree(pages_, static_cast<size_t>(nPages_) * sizeof(Page*));
}

bool BookSide::init(uint32_t maxPrice) {
  nPages_ = (maxPrice >> PAGE_SHIFT) + 1;
  pages_ = static_cast<Page**>(sparseCalloc(static_cast<size_t>(nPages_) * sizeof(Page*)));
  return pages_ != nullptr && pageTree_.init(nPages_);
}

void BookSide::reset() {
  for (uint32_t k = 0; k < used_.size(); k++) {
    free(pages_[used_[k]]);
    pages_[used_[k]] = nullptr;
  }
  used_.clear();
  pagesAllocated_ = 0;
  pageTree_.reset();
  best_ = -1;
}

Level* BookSide::ensure(uint32_t p) {
  Page*& pg = pages_[p >> PAGE_SHIFT];
  if (!pg) {
    // calloc: every level starts empty (count 0) and every bit clear.
    pg = static_cast<Page*>(calloc(1, sizeof(Page)));
    if (!pg) return nullptr;
    if (!used_.push()) {
      free(pg);
      pg = nullptr;
      return nullptr;
    }
    used_[used_.size() - 1] = p >> PAGE_SHIFT;
    pagesAllocated_++;
  }
  return &pg->levels[p & PAGE_MASK];
}

void BookSide::markNonEmpty(uint32_t p) {
  const uint32_t pi = p >> PAGE_SHIFT;
  Page* pg = pages_[pi];
  const uint32_t w = (p & PAGE_MASK) >> 6;
  if (pg->summary == 0) pageTree_.set(pi);
  pg->summary |= 1ULL << w;
  pg->bits[w] |= 1ULL << (p & 63);
  if (best_ < 0 || (isBid_ ? p > best_ : p < best_)) best_ = p;
}

void BookSide::markEmpty(uint32_t p) {
  const uint32_t pi = p >> PAGE_SHIFT;
  Page* pg = pages_[pi];
  const uint32_t w = (p & PAGE_MASK) >> 6;
  pg->bits[w] &= ~(1ULL << (p & 63));
  if (pg->bits[w] == 0) {
    pg->summary &= ~(1ULL << w);
    if (pg->summary == 0) pageTree_.clear(pi);
  }
  if (static_cast<int64_t>(p) == best_) best_ = nextWorse(p);
}

int64_t BookSide::findGE(int64_t p) const {
  if (p < 0) p = 0;
  const uint64_t pi = static_cast<uint64_t>(p) >> PAGE_SHIFT;
  if (pi >= nPages_) return -1;
  const Page* pg = pages_[pi];
  if (pg) {
    const uint32_t w = (p & PAGE_MASK) >> 6;
    const uint64_t b = pg->bits[w] & (~0ULL << (p & 63));
    if (b) return static_cast<int64_t>((pi << PAGE_SHIFT) | (w << 6) | __builtin_ctzll(b));
    const uint64_t s = w == 63 ? 0 : pg->summary & (~0ULL << (w + 1));
    if (s) {
      const uint32_t w2 = __builtin_ctzll(s);
      return static_cast<int64_t>((pi << PAGE_SHIFT) | (w2 << 6) | __builtin_ctzll(pg->bits[w2]));
    }
  }
  const int64_t npi = pageTree_.findGE(static_cast<int64_t>(pi) + 1);
  if (npi < 0) return -1;
  pg = pages_[npi];
  const uint32_t w2 = __builtin_ctzll(pg->summary);
  return (npi << PAGE_SHIFT) | (w2 << 6) | __builtin_ctzll(pg->bits[w2]);
}

int64_t BookSide::findLE(int64_t p) const {
  if (p < 0) return -1;
  uint64_t pi = static_cast<uint64_t>(p) >> PAGE_SHIFT;
  if (pi >= nPages_) {
    pi = nPages_ - 1;
    p = static_cast<int64_t>((pi << PAGE_SHIFT) | PAGE_MASK);
  }
  const Page* pg = pages_[pi];
  if (pg) {
    const uint32_t w = (p & PAGE_MASK) >> 6;
    const int bit = static_cast<int>(p & 63);
    const uint64_t mask = bit == 63 ? ~0ULL : ((1ULL << (bit + 1)) - 1);
    const uint64_t b = pg->bits[w] & mask;
    if (b) return static_cast<int64_t>((pi << PAGE_SHIFT) | (w << 6) | (63 - __builtin_clzll(b)));
    const uint64_t s = pg->summary & ((1ULL << w) - 1);
    if (s) {
      const uint32_t w2 = 63 - __builtin_clzll(s);
      return static_cast<int64_t>((pi << PAGE_SHIFT) | (w2 << 6) | (63 - __builtin_clzll(pg->bits[w2])));
    }
  }
  const int64_t npi = pageTree_.findLE(static_cast<int64_t>(pi) - 1);
  if (npi < 0) return -1;
  pg = pages_[npi];
  const uint32_t w2 = 63 - __builtin_clzll(pg->summary);
  return (npi << PAGE_SHIFT) | (w2 << 6) | (63 - __builtin_clzll(pg->bits[w2]));
}

uint64_t BookSide::bytes() const {
  return static_cast<uint64_t>(nPages_) * sizeof(Page*) + static_cast<uint64_t>(pagesAllocated_) * sizeof(Page) + pageTree_.bytes();
}

const char* BookSide::check() const {
  int64_t extreme = -1;
  uint32_t allocated = 0;
  for (uint32_t pi = 0; pi < nPages_; pi++) {
    const Page* pg = pages_[pi];
    if (!pg) continue;
    allocated++;
    uint64_t summary = 0;
    for (uint32_t w = 0; w < PAGE_SIZE / 64; w++) {
      if (pg->bits[w]) summary |= 1ULL << w;
      for (uint32_t b = 0; b < 64; b++) {
        const uint32_t idx = w * 64 + b;
        const bool bit = (pg->bits[w] >> b) & 1;
        const Level& L = pg->levels[idx];
        if (bit != (L.count > 0)) return "level bit does not match its order count";
        if (bit && L.qty <= 0) return "non-empty level with non-positive aggregate";
        if (bit) {
          const int64_t p = (static_cast<int64_t>(pi) << PAGE_SHIFT) | idx;
          if (extreme < 0 || (isBid_ ? p > extreme : p < extreme)) extreme = p;
        }
      }
    }
    if (summary != pg->summary) return "page summary does not match its bits";
    if ((pageTree_.findGE(pi) == static_cast<int64_t>(pi)) != (summary != 0)) return "page tree does not match page occupancy";
  }
  if (extreme != best_) return "cached best price is wrong";
  if (allocated != used_.size() || allocated != pagesAllocated_) return "allocated pages do not match the page list";
  for (uint32_t k = 0; k < used_.size(); k++)
    if (used_[k] >= nPages_ || !pages_[used_[k]]) return "page list names a page that is not allocated";
  return nullptr;
}

// ---------------------------------------------------------------- validation
// Bit i (i = 0, 1) of the result is set when p[i] is not an integer in
// [lo_i, 2^53-1] (NaN fails every comparison). (x + 2^52) - 2^52 == x holds
// exactly for the integers below 2^52 (the sum keeps no fraction bits);
// integers from 2^52 to 2^53-1 fail it too, which is only conservative: such
// a row goes to validateOps, the exact check (no engine id gets there).
#if defined(__SSE2__)
// All-ones in lane i when p[i] is an integer in [lo_i, 2^53-1].
static inline __m128d okLanes(const double* p, __m128d lo) {
  const __m128d x = _mm_loadu_pd(p);
  const __m128d big = _mm_set1_pd(4503599627370496.0);
  return _mm_and_pd(_mm_and_pd(_mm_cmpge_pd(x, lo), _mm_cmple_pd(x, _mm_set1_pd(9007199254740991.0))),
                    _mm_cmpeq_pd(_mm_sub_pd(_mm_add_pd(x, big), big), x));
}
static inline int okMask(const double* p, double lo0, double lo1) { return _mm_movemask_pd(okLanes(p, _mm_set_pd(lo1, lo0))); }
#else
static inline bool intIn(double x, double lo) {
  return x >= lo && x <= 9007199254740991.0 && x < 4503599627370496.0 && static_cast<double>(static_cast<int64_t>(x)) == x;
}
static inline int okMask(const double* p, double lo0, double lo1) { return (intIn(p[0], lo0) ? 1 : 0) | (intIn(p[1], lo1) ? 2 : 0); }
#endif

#if AUREX_AVX2_CHECK
// The same check in fewer instructions on CPUs with AVX2 (chosen at run time:
// the build targets baseline x86-64). Stricter than needed, which only sends
// more rows to the exact check: every one of the 8 fields, also those a
// CANCEL ignores, must be an integer in [0, 2^52) (two 4-lane tests per row);
// once they are, the per-kind conditions are exact integer compares instead
// of NaN-aware double compares.
__attribute__((target("avx2"))) static inline bool rowLooksValidAvx2(const double* r) {
  const __m256d big = _mm256_set1_pd(4503599627370496.0);
  const __m256d zero = _mm256_setzero_pd();
  const __m256d a = _mm256_loadu_pd(r);
  const __m256d b = _mm256_loadu_pd(r + 4);
  const __m256d ta = _mm256_round_pd(a, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256d tb = _mm256_round_pd(b, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256d oka = _mm256_and_pd(_mm256_and_pd(_mm256_cmp_pd(a, zero, _CMP_GE_OQ), _mm256_cmp_pd(a, big, _CMP_LT_OQ)), _mm256_cmp_pd(ta, a, _CMP_EQ_OQ));
  const __m256d okb = _mm256_and_pd(_mm256_and_pd(_mm256_cmp_pd(b, zero, _CMP_GE_OQ), _mm256_cmp_pd(b, big, _CMP_LT_OQ)), _mm256_cmp_pd(tb, b, _CMP_EQ_OQ));
  if (_mm256_movemask_pd(_mm256_and_pd(oka, okb)) != 15) return false;
  // Every field is now an exact integer in [0, 2^52): the conversions are exact.
  const int64_t kind = static_cast<int64_t>(r[0]);
  const int64_t id = static_cast<int64_t>(r[1]);
  const int64_t side = static_cast<int64_t>(r[3]);
  const int64_t type = static_cast<int64_t>(r[4]);
  const int64_t price = static_cast<int64_t>(r[5]);
  const int64_t qty = static_cast<int64_t>(r[6]);
  const bool typeOk = (type <= T_FOK) | (type == (T_LIMIT | FLAG_POST_ONLY));
  const bool newOk = (kind == 1) & (side <= 1) & typeOk & (qty >= 1) & ((price >= 1) | (type == T_MARKET));
  const bool replaceOk = (kind == 3) & (price >= 1) & (qty >= 1);
  return (id >= 1) & ((kind == 2) | newOk | replaceOk);
}

__attribute__((target("avx2"))) static uint32_t firstSuspectRowAvx2(const double* ops, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    if (!rowLooksValidAvx2(ops + static_cast<uint64_t>(i) * OP_STRIDE)) return i;
  }
  return n;
}
#endif

static uint32_t firstSuspectRowBaseline(const double* ops, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    const double* r = ops + static_cast<uint64_t>(i) * OP_STRIDE;
    const double kind = r[0];
    bool ok;
    if (kind == OP_NEW) {
      // [kind, id >= 1 | account >= 0, side >= 0 | type >= 0, price >= 1 (>= 0 for MARKET), qty >= 1 | ts >= 0],
      // all integers; then side 0|1 and type LIMIT|MARKET|IOC|FOK|LIMIT+POST_ONLY.
      const double t = r[4];
#if defined(__SSE2__)
      const __m128d m = _mm_and_pd(_mm_and_pd(okLanes(r, _mm_set1_pd(1)), okLanes(r + 2, _mm_setzero_pd())),
                                   _mm_and_pd(okLanes(r + 4, _mm_set_pd(t == 1 ? 0.0 : 1.0, 0.0)), okLanes(r + 6, _mm_set_pd(0.0, 1.0))));
      const bool lanes = _mm_movemask_pd(m) == 3;
#else
      const bool lanes = (okMask(r, 1, 1) & okMask(r + 2, 0, 0) & okMask(r + 4, 0, t == 1 ? 0 : 1) & okMask(r + 6, 1, 0)) == 3;
#endif
      ok = lanes & (r[3] <= 1) & ((t <= 3) | (t == 16));
    } else if (kind == OP_CANCEL) {
      ok = okMask(r, 1, 1) == 3;
    } else if (kind == OP_REPLACE) {
      ok = (okMask(r, 1, 1) == 3) & ((okMask(r + 4, 0, 1) & 2) != 0) & ((okMask(r + 6, 1, 0) & 1) != 0);
    } else {
      ok = false;
    }
    if (!ok) return i;
  }
  return n;
}

uint32_t firstSuspectRow(const double* ops, uint32_t n) {
#if AUREX_AVX2_CHECK
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return firstSuspectRowAvx2(ops, n);
#endif
  return firstSuspectRowBaseline(ops, n);
}

// ---------------------------------------------------------------------- Book
bool Book::init(uint32_t initialOrders) {
  if (!bids_.init(maxPrice_) || !asks_.init(maxPrice_)) return false;
  uint64_t cap = 1024;
  while (cap < static_cast<uint64_t>(initialOrders) * 2) cap <<= 1;
  return pool_.reserve(initialOrders) && ringInit(cap) && spill_.init(16);
}

bool Book::ringInit(uint64_t cap) {
  uint32_t* r = static_cast<uint32_t*>(hugeCalloc(cap * sizeof(uint32_t)));
  if (!r) return false;
  memset(r, 0xff, cap * sizeof(uint32_t));
  hugeFree(ring_);
  ring_ = r;
  ringMask_ = cap - 1;
  return true;
}

Book::~Book() { hugeFree(ring_); }

bool Book::ringPlace(int64_t id, uint32_t slot) {
  uint32_t& e = ring_[static_cast<uint64_t>(id) & ringMask_];
  if (e != NIL) {
    // The newer id keeps the ring cell: recent orders are the ones looked up.
    const int64_t other = pool_[e].id;
    if (other > id) return spill_.insert(id, slot);
    if (!spill_.insert(other, e)) return false;
  }
  e = slot;
  return true;
}

bool Book::ringGrow() {
  const uint64_t oldCap = ringMask_ + 1;
  uint32_t* old = ring_;
  uint32_t* r = static_cast<uint32_t*>(hugeCalloc(oldCap * 2 * sizeof(uint32_t)));
  IdTable spill;
  if (!r || !spill.init(16)) {
    hugeFree(r);
    return false;
  }
  memset(r, 0xff, oldCap * 2 * sizeof(uint32_t));
  ring_ = r;
  ringMask_ = oldCap * 2 - 1;
  spill_.swap(spill);  // spill now holds the old spilled entries
  bool ok = true;
  for (uint64_t i = 0; i < oldCap; i++)
    if (old[i] != NIL) ok = ringPlace(pool_[old[i]].id, old[i]) && ok;
  spill.forEach([&](int64_t id, uint32_t slot) { ok = ringPlace(id, slot) && ok; });
  hugeFree(old);
  return ok;
}

bool Book::indexInsertSlow(int64_t id, uint32_t slot) {
  if (!ringPlace(id, slot)) return false;
  live_++;
  // Spilled entries cost a hash probe; once they are a noticeable share of
  // the ring, double it (memory stays within ~8 ring cells per live order).
  if (__builtin_expect(spill_.size() * 8 > ringMask_ + 1, 0)) ringGrow();
  return true;
}

uint32_t Book::allocSlot() {
  if (freeHead_ != NIL) {
    // LIFO reuse: the most recently freed slot is the one most likely in cache.
    const uint32_t s = freeHead_;
    freeHead_ = pool_[s].next;
    return s;
  }
  const uint64_t cap = pool_.capacity();
  if (pool_.size() >= NIL - 1 || !pool_.push()) return NIL;
  // When the pool grows, keep the id ring at >= 2 cells per pooled order, so
  // a book that holds many orders rarely spills (or rebuilds on the hot path).
  // Best effort: a failed ring growth only means more spilling.
  if (__builtin_expect(pool_.capacity() != cap, 0))
    while (ringMask_ + 1 < 2 * pool_.capacity() && ringGrow()) {
    }
  return pool_.size() - 1;
}

void Book::freeSlot(uint32_t slot) {
  pool_[slot].next = freeHead_;
  freeHead_ = slot;
}

void Book::unlink(BookSide& s, Level& L, uint32_t slot, uint32_t price) {
  const Order& o = pool_[slot];
  if (o.prev != NIL) pool_[o.prev].next = o.next;
  else L.head = o.next;
  if (o.next != NIL) pool_[o.next].prev = o.prev;
  else L.tail = o.prev;
  L.qty -= o.remaining;
  if (--L.count == 0) s.markEmpty(price);
}

bool Book::rest(int64_t id, int64_t account, int side, uint32_t price, int64_t qty, int64_t ts) {
  BookSide& s = side == 0 ? bids_ : asks_;
  const uint32_t slot = allocSlot();
  if (slot == NIL) return false;
  Level* L = s.ensure(price);
  Order& o = pool_[slot];
  o.id = id;  // before indexInsert: a ring rebuild reads the ids of indexed slots
  if (!L || !indexInsert(id, slot)) {
    freeSlot(slot);
    return false;
  }
  o.account = account;
  o.remaining = qty;
  o.ts = ts;
  o.price = price;
  o.side = static_cast<uint8_t>(side);
  o.next = NIL;
  if (L->count == 0) {
    o.prev = NIL;
    L->head = slot;
    L->tail = slot;
    L->qty = qty;
    L->count = 1;
    s.markNonEmpty(price);
  } else {
    o.prev = L->tail;
    pool_[L->tail].next = slot;
    L->tail = slot;
    L->qty += qty;
    L->count++;
  }
  return true;
}

inline void Book::apply(const double* r) {
  const double kind = r[0];
  if (kind == OP_NEW) doNew(r);
  else if (kind == OP_CANCEL) doCancel(static_cast<int64_t>(r[1]));
  else if (kind == OP_REPLACE) doReplace(static_cast<int64_t>(r[1]), r[5], static_cast<int64_t>(r[6]));
  else sink.emit(EV_REJECTED, r[1], code::INVALID_ARGUMENT, 0, 0, 0, 0);
}

// The rows just past a batch, one cache line per op: when batches come from
// one long array (a recorded stream, a backtest, a journal), the next call's
// rows then arrive while this call computes, instead of stalling that call's
// row check (a separate pass over the rows, bound by memory when they come
// from far). Prefetching never faults, so an address past the caller's array
// is harmless; when the next batch is elsewhere the hint is merely wasted.
static inline void prefetchContinuation(const double* ops, uint32_t n, uint32_t i) {
  __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(ops) + (static_cast<uintptr_t>(n) + i) * OP_STRIDE * sizeof(double)));
}

uint32_t Book::process(const double* ops, uint32_t n) {
  sink.begin();
  if (live_ >= PREFETCH_MIN_ORDERS) {
    // A batch tells us the future: in a deep book the cost of an op is its
    // cache misses (id ring cell, then the order, then its list neighbours),
    // so those of later ops are requested ahead, in stages, while earlier ops
    // run. Prefetches are hints only; the state is not touched.
    constexpr uint32_t AHEAD1 = 12, AHEAD2 = 6, AHEAD3 = 3;
    for (uint32_t i = 0; i < n; i++) {
      const double* r = ops + static_cast<uint64_t>(i) * OP_STRIDE;
      if (i + AHEAD1 < n) prefetchOp(r + AHEAD1 * OP_STRIDE, 1);
      if (i + AHEAD2 < n) prefetchOp(r + AHEAD2 * OP_STRIDE, 2);
      if (i + AHEAD3 < n) prefetchOp(r + AHEAD3 * OP_STRIDE, 3);
      prefetchContinuation(ops, n, i);
      sink.op = i;
      apply(r);
    }
  } else {
    // A small book lives in cache: prefetching would only cost instructions.
    for (uint32_t i = 0; i < n; i++) {
      prefetchContinuation(ops, n, i);
      sink.op = i;
      apply(ops + static_cast<uint64_t>(i) * OP_STRIDE);
    }
  }
  return sink.finish();
}


static inline bool crosses(int takerSide, int64_t limit, int64_t p) {
  // limit 0: a market order without collar takes any price.
  return limit == 0 || (takerSide == 0 ? p <= limit : p >= limit);
}

void Book::prefetchOp(const double* r, int stage) const {
  const double kind = r[0];
  if (kind == OP_CANCEL || kind == OP_REPLACE) {
    const int64_t id = static_cast<int64_t>(r[1]);
    const uint32_t* cell = &ring_[static_cast<uint64_t>(id) & ringMask_];
    if (stage == 1) {
      __builtin_prefetch(cell);
      return;
    }
    const uint32_t slot = *cell;  // requested at stage 1; a hint, not verified
    if (slot == NIL) return;
    const Order& o = pool_[slot];
    if (stage == 2) {
      // What a cancel reads is the first 32 bytes of the order (see Order).
      __builtin_prefetch(&o);
      __builtin_prefetch(reinterpret_cast<const char*>(&o) + 31);
    } else {
      if (o.prev != NIL) __builtin_prefetch(&pool_[o.prev]);
      if (o.next != NIL) __builtin_prefetch(&pool_[o.next]);
    }
  } else if (kind == OP_NEW && stage >= 2) {
    // A passive order will be appended behind its level's tail order.
    const double side = r[3];
    const double price = r[5];
    if ((side != 0 && side != 1) || !(price >= 0) || price > maxPrice_) return;
    if (stage == 3) {
      // A marketable order first meets the head order of the opposite best
      // level (an old order in a deep book, so likely not in cache).
      const BookSide& opp = side == 0 ? asks_ : bids_;
      const int64_t b = opp.best();
      if (b >= 0 && crosses(side == 0 ? 0 : 1, static_cast<int64_t>(price), b)) {
        __builtin_prefetch(&pool_[opp.at(static_cast<uint32_t>(b)).head]);
        return;
      }
    }
    if (!(price >= 1)) return;
    const Level* L = (side == 0 ? bids_ : asks_).find(static_cast<uint32_t>(price));
    if (!L) return;
    if (stage == 2) __builtin_prefetch(L);
    else if (L->count > 0) __builtin_prefetch(&pool_[L->tail]);
  }
}


void Book::doNew(const double* r) {
  const double id = r[1];
  const double side = r[3];
  const int typeBits = static_cast<int>(r[4]);
  const int type = typeBits & TYPE_MASK;
  const double price = r[5];
  const double qty = r[6];
  // The TypeScript edge validates every op; these checks only keep memory
  // safe if something malformed slips through anyway.
  // Bitwise | on purpose: one branch instead of five (the side test alone
  // would mispredict half the time with short-circuit evaluation).
  if ((!(id >= 1)) | ((side != 0) & (side != 1)) | (type > T_FOK) | (!(price >= 0)) | (!(qty >= 1))) {
    sink.emit(EV_REJECTED, id, code::INVALID_ARGUMENT, 0, 0, 0, 0);
    return;
  }
  const int64_t iid = static_cast<int64_t>(id);
  if (iid > maxIdSeen_) maxIdSeen_ = iid;
  else if (lookup(iid) != NIL) {
    sink.emit(EV_REJECTED, id, code::DUPLICATE_ORDER_ID, 0, 0, 0, 0);
    return;
  }
  if (price > maxPrice_) {
    sink.emit(EV_REJECTED, id, code::BOOK_PRICE_OUT_OF_RANGE, 0, 0, 0, 0);
    return;
  }
  const int s = static_cast<int>(side);
  const int64_t limit = static_cast<int64_t>(price);
  if (typeBits & FLAG_POST_ONLY) {
    const int64_t b = (s == 0 ? asks_ : bids_).best();
    if (b >= 0 && crosses(s, limit, b)) {
      sink.emit(EV_REJECTED, id, code::POST_ONLY_WOULD_CROSS, 0, 0, 0, 0);
      return;
    }
  }
  const int64_t account = static_cast<int64_t>(r[2]);
  const int64_t iqty = static_cast<int64_t>(qty);
  sink.emit(EV_ACCEPTED, id, side, price, qty, r[2], 0);
  if (type == T_FOK && !fokFillable(s, account, limit, iqty)) {
    sink.emit(EV_CANCELLED, id, qty, code::CANCEL_FOK_NOT_FILLABLE, 0, 0, 0);
    return;
  }
  execute(iid, account, s, type, limit, iqty, static_cast<int64_t>(r[7]));
}

bool Book::fokFillable(int side, int64_t account, int64_t limit, int64_t qty) const {
  const BookSide& opp = side == 0 ? asks_ : bids_;
  int64_t need = qty;
  for (int64_t p = opp.best(); p >= 0; p = opp.nextWorse(static_cast<uint32_t>(p))) {
    if (!crosses(side, limit, p)) return false;
    const Level& L = opp.at(static_cast<uint32_t>(p));
    for (uint32_t s = L.head; s != NIL; s = pool_[s].next) {
      const Order& o = pool_[s];
      if (o.account == account) {
        // Matching would stop at this order under CANCEL_INCOMING/BOTH.
        if (stp_ != STP_CANCEL_RESTING) return false;
        continue;
      }
      need -= o.remaining;
      if (need <= 0) return true;
    }
  }
  return false;
}

template <int SIDE>
void Book::executeSide(int64_t id, int64_t account, int type, int64_t limit, int64_t qty, int64_t ts) {
  constexpr int side = SIDE;
  constexpr int oppSide = SIDE ^ 1;
  BookSide& opp = SIDE == 0 ? asks_ : bids_;
  const double did = static_cast<double>(id);
  int64_t rem = qty;
  bool traded = false;
  bool stpIncoming = false;
  while (rem > 0) {
    const int64_t bp = opp.best();
    if (bp < 0 || (limit != 0 && (SIDE == 0 ? bp > limit : bp < limit))) break;
    const uint32_t up = static_cast<uint32_t>(bp);
    Level& L = opp.at(up);
    const uint32_t ms = L.head;
    Order& m = pool_[ms];
    __builtin_prefetch(&pool_[m.next != NIL ? m.next : ms]);  // select, not a branch
    const int64_t mid = m.id;
    if (m.account == account) {
      if (stp_ == STP_CANCEL_INCOMING) {
        stpIncoming = true;
        break;
      }
      const int64_t mrem = m.remaining;
      unlink(opp, L, ms, up);
      indexErase(mid, ms);
      freeSlot(ms);
      sink.emit(EV_CANCELLED, static_cast<double>(mid), static_cast<double>(mrem), code::CANCEL_SELF_TRADE_RESTING, 0, 0, 0);
      emitLevel(oppSide, up, L);
      if (stp_ == STP_CANCEL_BOTH) {
        stpIncoming = true;
        break;
      }
      continue;
    }
    const int64_t q = m.remaining < rem ? m.remaining : rem;
    m.remaining -= q;
    rem -= q;
    L.qty -= q;
    traded = true;
    const int64_t mrem = m.remaining;
    if (mrem == 0) {
      unlink(opp, L, ms, up);
      indexErase(mid, ms);
      freeSlot(ms);
    }
    sink.emit(EV_TRADE, static_cast<double>(mid), did, up, static_cast<double>(q), static_cast<double>(mrem), static_cast<double>(rem));
    emitLevel(oppSide, up, L);
  }
  if (rem == 0) return;
  const double drem = static_cast<double>(rem);
  if (stpIncoming) {
    sink.emit(EV_CANCELLED, did, drem, code::CANCEL_SELF_TRADE_INCOMING, 0, 0, 0);
    return;
  }
  switch (type) {
    case T_LIMIT: {
      const uint32_t p = static_cast<uint32_t>(limit);
      if (!rest(id, account, side, p, rem, ts)) {
        sink.emit(EV_CANCELLED, did, drem, code::BOOK_FULL, 0, 0, 0);
        return;
      }
      sink.emit(EV_RESTED, did, side, p, drem, 0, 0);
      emitLevel(side, p, (side == 0 ? bids_ : asks_).at(p));
      return;
    }
    case T_MARKET:
      sink.emit(EV_CANCELLED, did, drem, traded ? code::CANCEL_MARKET_REMAINDER : code::CANCEL_NO_LIQUIDITY, 0, 0, 0);
      return;
    case T_IOC:
      sink.emit(EV_CANCELLED, did, drem, code::CANCEL_IOC_REMAINDER, 0, 0, 0);
      return;
    default:  // FOK was checked fillable; unreachable
      sink.emit(EV_CANCELLED, did, drem, code::CANCEL_FOK_NOT_FILLABLE, 0, 0, 0);
      return;
  }
}

void Book::doCancel(int64_t id) {
  const uint32_t slot = lookup(id);
  if (slot == NIL) {
    sink.emit(EV_REJECTED, static_cast<double>(id), code::UNKNOWN_ORDER, 0, 0, 0, 0);
    return;
  }
  const Order& o = pool_[slot];
  const int side = o.side;
  const uint32_t price = o.price;
  const int64_t rem = o.remaining;
  BookSide& s = side == 0 ? bids_ : asks_;
  Level& L = s.at(price);
  unlink(s, L, slot, price);
  indexErase(id, slot);
  freeSlot(slot);
  sink.emit(EV_CANCELLED, static_cast<double>(id), static_cast<double>(rem), code::CANCEL_BY_USER, 0, 0, 0);
  emitLevel(side, price, L);
}

void Book::doReplace(int64_t id, double newPrice, int64_t newQty) {
  const double did = static_cast<double>(id);
  const uint32_t slot = lookup(id);
  if (slot == NIL) {
    sink.emit(EV_REJECTED, did, code::UNKNOWN_ORDER, 0, 0, 0, 0);
    return;
  }
  if (!(newPrice >= 1) || newQty < 1) {
    sink.emit(EV_REJECTED, did, code::INVALID_ARGUMENT, 0, 0, 0, 0);
    return;
  }
  if (newPrice > maxPrice_) {
    sink.emit(EV_REJECTED, did, code::BOOK_PRICE_OUT_OF_RANGE, 0, 0, 0, 0);
    return;
  }
  const uint32_t np = static_cast<uint32_t>(newPrice);
  Order& o = pool_[slot];
  const int side = o.side;
  const uint32_t oldPrice = o.price;
  BookSide& s = side == 0 ? bids_ : asks_;
  Level& L = s.at(oldPrice);
  if (np == oldPrice && newQty <= o.remaining) {
    const int64_t delta = o.remaining - newQty;
    o.remaining = newQty;
    L.qty -= delta;
    sink.emit(EV_REPLACED, did, np, static_cast<double>(newQty), 1, 0, 0);
    if (delta > 0) emitLevel(side, oldPrice, L);
    return;
  }
  // Loses time priority: leave the book, re-enter as a limit order at the new price.
  const int64_t account = o.account;
  const int64_t ts = o.ts;
  unlink(s, L, slot, oldPrice);
  indexErase(id, slot);
  freeSlot(slot);
  sink.emit(EV_REPLACED, did, np, static_cast<double>(newQty), 0, 0, 0);
  emitLevel(side, oldPrice, L);
  execute(id, account, side, T_LIMIT, np, newQty, ts);
}

// ------------------------------------------------------------------- queries
uint32_t Book::depth(int side, uint32_t levels, double* out) const {
  const BookSide& s = side == 0 ? bids_ : asks_;
  uint32_t n = 0;
  for (int64_t p = s.best(); p >= 0 && n < levels; p = s.nextWorse(static_cast<uint32_t>(p))) {
    const Level& L = s.at(static_cast<uint32_t>(p));
    out[n * 3] = static_cast<double>(p);
    out[n * 3 + 1] = static_cast<double>(L.qty);
    out[n * 3 + 2] = L.count;
    n++;
  }
  return n;
}

bool Book::orderInfo(int64_t id, double* out) const {
  const uint32_t slot = lookup(id);
  if (slot == NIL) return false;
  const Order& o = pool_[slot];
  out[0] = static_cast<double>(o.account);
  out[1] = o.side;
  out[2] = o.price;
  out[3] = static_cast<double>(o.remaining);
  out[4] = static_cast<double>(o.ts);
  return true;
}

uint64_t Book::snapshot(double* out, uint64_t capRows) const {
  uint64_t k = 0;
  for (int side = 0; side < 2; side++) {
    const BookSide& s = side == 0 ? bids_ : asks_;
    for (int64_t p = s.best(); p >= 0; p = s.nextWorse(static_cast<uint32_t>(p))) {
      for (uint32_t sl = s.at(static_cast<uint32_t>(p)).head; sl != NIL; sl = pool_[sl].next, k++) {
        if (k >= capRows) continue;  // keep counting: the caller learns the real size
        const Order& o = pool_[sl];
        double* r = out + k * REST_STRIDE;
        r[0] = static_cast<double>(o.id);
        r[1] = static_cast<double>(o.account);
        r[2] = o.side;
        r[3] = o.price;
        r[4] = static_cast<double>(o.remaining);
        r[5] = static_cast<double>(o.ts);
      }
    }
  }
  return k;
}

void Book::clear() {
  bids_.reset();
  asks_.reset();
  pool_.clear();
  freeHead_ = NIL;
  memset(ring_, 0xff, (ringMask_ + 1) * sizeof(uint32_t));
  spill_.clear();
  live_ = 0;
  maxIdSeen_ = 0;
}

// x is an integer in [lo, hi] (hi <= 2^53-1, so the cast is exact); false for NaN.
static inline bool intInRange(double x, double lo, double hi) {
  return x >= lo && x <= hi && static_cast<double>(static_cast<int64_t>(x)) == x;
}

int32_t Book::restoreRowError(const double* r) const {
  constexpr double MAX_SAFE = 9007199254740991.0;
  if (!intInRange(r[0], 1, MAX_SAFE)) return code::INVALID_ORDER_ID;
  if (!intInRange(r[1], 0, MAX_SAFE)) return code::INVALID_ACCOUNT_ID;
  if (r[2] != 0 && r[2] != 1) return code::INVALID_SIDE;
  // Prices index the level pages: anything outside 1..maxPrice_ would be out of bounds.
  if (!intInRange(r[3], 1, maxPrice_)) return code::INVALID_PRICE;
  if (!intInRange(r[4], 1, MAX_SAFE)) return code::INVALID_QUANTITY;
  if (!intInRange(r[5], 0, MAX_SAFE)) return code::VALUE_OUT_OF_RANGE;
  return 0;
}

Book::RestoreStatus Book::restore(const double* rows, uint32_t n, uint32_t* badRow, int32_t* badCode) {
  // The TS edge validates snapshots, but a row that got past it must not
  // index outside the level pages: check every value before touching the book.
  double bestBid = -1, bestAsk = static_cast<double>(maxPrice_) + 1;
  for (uint32_t i = 0; i < n; i++) {
    const double* r = rows + static_cast<uint64_t>(i) * REST_STRIDE;
    int32_t c = restoreRowError(r);
    if (c == 0) {
      if (r[2] == 0 && r[3] > bestBid) bestBid = r[3];
      if (r[2] == 1 && r[3] < bestAsk) bestAsk = r[3];
      if (bestBid >= bestAsk) c = code::INVALID_ARGUMENT;  // a crossed book
    }
    if (c != 0) {
      *badRow = i;
      *badCode = c;
      return RestoreStatus::BAD_ROW;
    }
  }
  clear();
  for (uint32_t i = 0; i < n; i++) {
    const double* r = rows + static_cast<uint64_t>(i) * REST_STRIDE;
    const int64_t id = static_cast<int64_t>(r[0]);
    // Duplicates need the id index, which only exists once rows are loaded.
    if (id > maxIdSeen_) maxIdSeen_ = id;
    else if (lookup(id) != NIL) {
      clear();
      *badRow = i;
      *badCode = code::INVALID_ORDER_ID;
      return RestoreStatus::BAD_ROW;
    }
    if (!rest(id, static_cast<int64_t>(r[1]), static_cast<int>(r[2]), static_cast<uint32_t>(r[3]), static_cast<int64_t>(r[4]),
              static_cast<int64_t>(r[5]))) {
      clear();
      return RestoreStatus::NO_MEMORY;
    }
  }
  return RestoreStatus::OK;
}

static inline uint64_t fnvMix(uint64_t h, uint64_t v) {
  for (int i = 0; i < 8; i++) {
    h ^= (v >> (8 * i)) & 0xff;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t Book::stateHash() const {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (int side = 0; side < 2; side++) {
    const BookSide& s = side == 0 ? bids_ : asks_;
    for (int64_t p = s.best(); p >= 0; p = s.nextWorse(static_cast<uint32_t>(p))) {
      for (uint32_t sl = s.at(static_cast<uint32_t>(p)).head; sl != NIL; sl = pool_[sl].next) {
        const Order& o = pool_[sl];
        h = fnvMix(h, o.side);
        h = fnvMix(h, o.price);
        h = fnvMix(h, static_cast<uint64_t>(o.id));
        h = fnvMix(h, static_cast<uint64_t>(o.account));
        h = fnvMix(h, static_cast<uint64_t>(o.remaining));
        h = fnvMix(h, static_cast<uint64_t>(o.ts));
      }
    }
  }
  return h;
}

const char* Book::check() const {
  if (const char* e = bids_.check()) return e;
  if (const char* e = asks_.check()) return e;
  if (bids_.best() >= 0 && asks_.best() >= 0 && bids_.best() >= asks_.best()) return "book is crossed";
  uint64_t total = 0;
  for (int side = 0; side < 2; side++) {
    const BookSide& s = side == 0 ? bids_ : asks_;
    for (int64_t p = s.best(); p >= 0; p = s.nextWorse(static_cast<uint32_t>(p))) {
      const Level& L = s.at(static_cast<uint32_t>(p));
      int64_t qty = 0;
      uint32_t count = 0;
      uint32_t prev = NIL;
      for (uint32_t sl = L.head; sl != NIL; sl = pool_[sl].next) {
        const Order& o = pool_[sl];
        if (o.prev != prev) return "broken FIFO back link";
        if (o.side != side || o.price != p) return "order linked into the wrong level";
        if (o.remaining <= 0) return "resting order with no quantity";
        if (lookup(o.id) != sl) return "resting order not reachable by id";
        qty += o.remaining;
        count++;
        prev = sl;
        if (count > L.count) return "level list longer than its count";
      }
      if (prev != L.tail) return "level tail is wrong";
      if (qty != L.qty || count != L.count) return "level aggregate differs from its orders";
      total += count;
    }
  }
  if (total != live_) return "id table holds orders that are not on the book";
  return nullptr;
}

uint64_t Book::memoryBytes() const {
  return pool_.capacity() * sizeof(Order) + (ringMask_ + 1) * sizeof(uint32_t) + spill_.bytes() + bids_.bytes() + asks_.bytes() + sizeof(Book);
}

}  // namespace aurex
