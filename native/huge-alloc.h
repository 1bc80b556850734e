// Zeroed allocations for the big arrays of a book (order pool, id table).
// Large ones are 2 MiB aligned and advised for transparent huge pages: in a
// deep book every op touches a few random orders, and with 4 KiB pages each
// of those is also a TLB miss.
#pragma once
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace aurex {

constexpr size_t HUGE_PAGE = 2u << 20;

inline void* hugeCalloc(size_t bytes) {
  if (bytes < HUGE_PAGE) return calloc(1, bytes ? bytes : 1);
  const size_t rounded = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  void* p = aligned_alloc(HUGE_PAGE, rounded);
  if (!p) return nullptr;
#ifdef MADV_HUGEPAGE
  madvise(p, rounded, MADV_HUGEPAGE);
#endif
  memset(p, 0, rounded);
  return p;
}

inline void hugeFree(void* p) { free(p); }

// Zeroed memory for a large, sparsely used table (a book side's page table
// spans every price up to maxPrice: megabytes, of which a few KiB near the
// traded prices are ever touched). Mapped directly, so untouched parts stay
// unmapped: calloc returns recycled heap memory once glibc has raised its mmap
// threshold after a large free, and then zeroes (faults in) all of it.
inline void* sparseCalloc(size_t bytes) {
  void* p = mmap(nullptr, bytes ? bytes : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

inline void sparseFree(void* p, size_t bytes) {
  if (p) munmap(p, bytes ? bytes : 1);
}

// A growable array of trivially copyable T with capacity-doubling growth.
template <typename T>
class PoolArray {
 public:
  PoolArray() = default;
  PoolArray(const PoolArray&) = delete;
  PoolArray& operator=(const PoolArray&) = delete;
  ~PoolArray() { hugeFree(data_); }

  T& operator[](uint32_t i) { return data_[i]; }
  const T& operator[](uint32_t i) const { return data_[i]; }
  uint32_t size() const { return size_; }
  uint64_t capacity() const { return cap_; }
  void clear() { size_ = 0; }

  bool reserve(uint64_t n) {
    if (n <= cap_) return true;
    T* d = static_cast<T*>(hugeCalloc(n * sizeof(T)));
    if (!d) return false;
    if (data_) memcpy(d, data_, static_cast<size_t>(size_) * sizeof(T));
    hugeFree(data_);
    data_ = d;
    cap_ = n;
    return true;
  }

  /** Appends a zeroed element; returns false when out of memory. */
  bool push() {
    if (size_ == cap_ && !reserve(cap_ ? cap_ * 2 : 64)) return false;
    size_++;
    return true;
  }

 private:
  T* data_ = nullptr;
  uint32_t size_ = 0;
  uint64_t cap_ = 0;
};

}  // namespace aurex
