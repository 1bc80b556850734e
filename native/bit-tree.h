// Hierarchical bitmap over N indices: 64-ary levels, so finding the next set
// index above/below a position touches at most one word per level
// (ceil(log64 N) words). Backing arrays are calloc'ed: untouched pages of a
// large range cost no resident memory.
#pragma once
#include <cstdint>
#include <cstdlib>

namespace aurex {

class BitTree {
 public:
  BitTree() = default;
  BitTree(const BitTree&) = delete;
  BitTree& operator=(const BitTree&) = delete;
  ~BitTree() { release(); }

  bool init(uint64_t n) {
    release();
    uint64_t cnt = n;
    do {
      uint64_t w = (cnt + 63) / 64;
      lv_[nlev_] = static_cast<uint64_t*>(calloc(w, sizeof(uint64_t)));
      if (!lv_[nlev_]) return false;
      nw_[nlev_] = w;
      nlev_++;
      cnt = w;
    } while (cnt > 1);
    return true;
  }

  void reset() {
    for (int l = 0; l < nlev_; l++)
      for (uint64_t i = 0; i < nw_[l]; i++) lv_[l][i] = 0;
  }

  uint64_t bytes() const {
    uint64_t b = 0;
    for (int l = 0; l < nlev_; l++) b += nw_[l] * 8;
    return b;
  }

  void set(uint64_t i) {
    for (int l = 0; l < nlev_; l++) {
      uint64_t& w = lv_[l][i >> 6];
      const bool was = w != 0;
      w |= 1ULL << (i & 63);
      if (was) return;
      i >>= 6;
    }
  }

  void clear(uint64_t i) {
    for (int l = 0; l < nlev_; l++) {
      uint64_t& w = lv_[l][i >> 6];
      w &= ~(1ULL << (i & 63));
      if (w) return;
      i >>= 6;
    }
  }

  /** Smallest set index >= i, or -1. */
  int64_t findGE(int64_t i) const { return ge(0, i); }
  /** Largest set index <= i, or -1. */
  int64_t findLE(int64_t i) const { return le(0, i); }

 private:
  int64_t ge(int l, int64_t i) const {
    if (l >= nlev_ || i < 0) return -1;
    const uint64_t w = static_cast<uint64_t>(i) >> 6;
    if (w >= nw_[l]) return -1;
    const uint64_t b = lv_[l][w] & (~0ULL << (i & 63));
    if (b) return static_cast<int64_t>((w << 6) | __builtin_ctzll(b));
    const int64_t nw = ge(l + 1, static_cast<int64_t>(w) + 1);
    if (nw < 0) return -1;
    return (nw << 6) | __builtin_ctzll(lv_[l][nw]);
  }

  int64_t le(int l, int64_t i) const {
    if (l >= nlev_ || i < 0) return -1;
    uint64_t w = static_cast<uint64_t>(i) >> 6;
    uint64_t mask;
    if (w >= nw_[l]) {
      w = nw_[l] - 1;
      mask = ~0ULL;
    } else {
      const int bit = static_cast<int>(i & 63);
      mask = bit == 63 ? ~0ULL : ((1ULL << (bit + 1)) - 1);
    }
    const uint64_t b = lv_[l][w] & mask;
    if (b) return static_cast<int64_t>((w << 6) | (63 - __builtin_clzll(b)));
    const int64_t nw = le(l + 1, static_cast<int64_t>(w) - 1);
    if (nw < 0) return -1;
    return (nw << 6) | (63 - __builtin_clzll(lv_[l][nw]));
  }

  void release() {
    for (int l = 0; l < nlev_; l++) free(lv_[l]);
    nlev_ = 0;
  }

  uint64_t* lv_[12] = {};
  uint64_t nw_[12] = {};
  int nlev_ = 0;
};

}  // namespace aurex
