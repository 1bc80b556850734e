// Order id -> pool slot, open addressing with linear probing and
// backward-shift deletion (no tombstones, so probe lengths stay short under
// the constant churn of an order book). Ids are >= 1, so key 0 marks empty.
#pragma once
#include <cstdint>
#include <cstdlib>

#include "huge-alloc.h"

namespace aurex {

class IdTable {
 public:
  static constexpr uint32_t NONE = 0xffffffffu;

  IdTable() = default;
  IdTable(const IdTable&) = delete;
  IdTable& operator=(const IdTable&) = delete;
  ~IdTable() { hugeFree(e_); }

  bool init(uint64_t minCapacity) {
    uint64_t cap = 16;
    int bits = 4;
    while (cap < minCapacity * 2) {
      cap <<= 1;
      bits++;
    }
    return alloc(cap, bits);
  }

  void clear() {
    for (uint64_t i = 0; i < cap_; i++) e_[i].key = 0;
    size_ = 0;
  }

  /** Calls f(key, slot) for every member (order unspecified). */
  template <typename F>
  void forEach(F&& f) const {
    for (uint64_t i = 0; i < cap_; i++)
      if (e_[i].key != 0) f(e_[i].key, e_[i].slot);
  }

  /** Swaps contents with another table (used to rebuild into a fresh one). */
  void swap(IdTable& o) {
    Entry* e = e_; e_ = o.e_; o.e_ = e;
    uint64_t t = cap_; cap_ = o.cap_; o.cap_ = t;
    t = mask_; mask_ = o.mask_; o.mask_ = t;
    t = size_; size_ = o.size_; o.size_ = t;
    const int b = bits_; bits_ = o.bits_; o.bits_ = b;
  }

  uint64_t size() const { return size_; }
  uint64_t bytes() const { return cap_ * sizeof(Entry); }

  uint32_t find(int64_t key) const {
    uint64_t i = home(key);
    for (;;) {
      const Entry& e = e_[i];
      if (e.key == key) return e.slot;
      if (e.key == 0) return NONE;
      i = (i + 1) & mask_;
    }
  }

  /** Inserts a key known to be absent. Returns false only when out of memory. */
  bool insert(int64_t key, uint32_t slot) {
    if ((size_ + 1) * 2 > cap_ && !grow()) return false;
    place(key, slot);
    size_++;
    return true;
  }

  /** Position of key in the table (for eraseAt), or NPOS. */
  static constexpr uint64_t NPOS = ~0ULL;
  uint64_t findPos(int64_t key) const {
    uint64_t i = home(key);
    for (;;) {
      const Entry& e = e_[i];
      if (e.key == key) return i;
      if (e.key == 0) return NPOS;
      i = (i + 1) & mask_;
    }
  }

  void erase(int64_t key) {
    const uint64_t i = findPos(key);
    if (i != NPOS) eraseAt(i);
  }

  void eraseAt(uint64_t i) {
    // Backward shift: pull later members of the probe run into the hole
    // when that does not move them before their home position.
    uint64_t hole = i;
    uint64_t j = i;
    for (;;) {
      j = (j + 1) & mask_;
      if (e_[j].key == 0) break;
      const uint64_t h = home(e_[j].key);
      // e_[j] may move to the hole if its home is not in (hole, j] cyclically.
      const bool between = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j);
      if (!between) {
        e_[hole] = e_[j];
        hole = j;
      }
    }
    e_[hole].key = 0;
    size_--;
  }

 private:
  struct Entry {
    int64_t key;
    uint32_t slot;
    uint32_t pad;
  };

  // Ids are engine-assigned and increasing, so the low bits of an id already
  // spread keys; keeping consecutive ids in consecutive slots makes the
  // lookups of recent orders hit the same cache lines. Higher bits are folded
  // in so ids that differ by a multiple of the capacity do not all collide.
  uint64_t home(int64_t key) const {
    const uint64_t k = static_cast<uint64_t>(key);
    return (k ^ (k >> bits_) ^ (k >> (2 * bits_))) & mask_;
  }

  void place(int64_t key, uint32_t slot) {
    uint64_t i = home(key);
    while (e_[i].key != 0) i = (i + 1) & mask_;
    e_[i].key = key;
    e_[i].slot = slot;
  }

  bool alloc(uint64_t cap, int bits) {
    Entry* e = static_cast<Entry*>(hugeCalloc(cap * sizeof(Entry)));
    if (!e) return false;
    e_ = e;
    cap_ = cap;
    mask_ = cap - 1;
    bits_ = bits;
    return true;
  }

  bool grow() {
    Entry* old = e_;
    const uint64_t oldCap = cap_;
    if (!alloc(cap_ * 2, bits_ + 1)) {
      e_ = old;
      return false;
    }
    for (uint64_t i = 0; i < oldCap; i++)
      if (old[i].key != 0) place(old[i].key, old[i].slot);
    hugeFree(old);
    return true;
  }

  Entry* e_ = nullptr;
  uint64_t cap_ = 0;
  uint64_t mask_ = 0;
  uint64_t size_ = 0;
  int bits_ = 0;
};

}  // namespace aurex
