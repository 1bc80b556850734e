// Standalone replay of a dumped workload (native/bench/dump-workload.ts)
// through aurex::Book, batched like the N-API path (256 ops per call), for
// profiling without node: `valgrind --tool=callgrind --toggle-collect=runOps ...`.
// Prints ns/op (wall) plus a hash of every event row and the final state hash,
// so a change to the core can be checked for byte-identical output quickly.
// Build: g++ -std=c++20 -O3 -g -o /tmp/aurex-driver native/bench/driver.cc native/book.cc
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../book.h"

using aurex::Book;

static uint64_t evHash = 0xcbf29ce484222325ULL;
static uint64_t evCount = 0;
static bool checkRows = false;  // --check: run the edge row check first, like NativeBook with validate

static void hashRows(const double* p, uint64_t doubles) {
  const unsigned char* b = reinterpret_cast<const unsigned char*>(p);
  for (uint64_t i = 0; i < doubles * 8; i++) {
    evHash ^= b[i];
    evHash *= 0x100000001b3ULL;
  }
}

static inline void replay(Book& book, const double* ops, uint64_t n, bool hash) {
  constexpr uint32_t BATCH = 256;
  for (uint64_t i = 0; i < n; i += BATCH) {
    const uint32_t k = static_cast<uint32_t>(n - i < BATCH ? n - i : BATCH);
    if (checkRows && aurex::firstSuspectRow(ops + i * aurex::OP_STRIDE, k) != k) abort();
    const uint32_t ev = book.process(ops + i * aurex::OP_STRIDE, k);
    evCount += ev;
    if (hash) {
      const uint64_t over = book.sink.overflow.size();
      hashRows(book.sink.buf, (ev - over / aurex::EV_STRIDE) * aurex::EV_STRIDE);
      hashRows(book.sink.overflow.data(), over);
    }
  }
}

// Separate symbols so callgrind can collect only the timed part (--toggle-collect=runOps).
__attribute__((noinline)) void runPrefill(Book& book, const double* ops, uint64_t n, bool hash) { replay(book, ops, n, hash); }
__attribute__((noinline)) void runOps(Book& book, const double* ops, uint64_t n, bool hash) { replay(book, ops, n, hash); }

__attribute__((visibility("default"))) int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: driver <workload.bin> [--hash] [--reps N]\n");
    return 2;
  }
  bool hash = false;
  int reps = 1;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--hash")) hash = true;
    else if (!strcmp(argv[i], "--check")) checkRows = true;
    else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
  }
  FILE* f = fopen(argv[1], "rb");
  if (!f) return 1;
  double head[2];
  if (fread(head, 8, 2, f) != 2) return 1;
  const uint64_t pre = static_cast<uint64_t>(head[0]), cnt = static_cast<uint64_t>(head[1]);
  std::vector<double> ops((pre + cnt) * aurex::OP_STRIDE);
  if (fread(ops.data(), 8, ops.size(), f) != ops.size()) return 1;
  fclose(f);
  std::vector<double> events(4096 * aurex::EV_STRIDE);
  double best = 1e30;
  for (int r = 0; r < reps; r++) {
    evHash = 0xcbf29ce484222325ULL;
    evCount = 0;
    Book book(2147483647u, 0);
    if (!book.init(1024)) return 1;
    book.sink.buf = events.data();
    book.sink.capRows = 4096;
    runPrefill(book, ops.data(), pre, hash);
    const uint64_t mem = book.memoryBytes(), resting = book.orderCount();
    const auto t0 = std::chrono::steady_clock::now();
    runOps(book, ops.data() + pre * aurex::OP_STRIDE, cnt, hash);
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / cnt;
    if (ns < best) best = ns;
    if (r == reps - 1) {
      printf("ops %llu events %llu best %.1f ns/op (%.1fM ops/s)", (unsigned long long)cnt, (unsigned long long)evCount, best, 1e3 / best);
      if (pre) printf(" B/order %.1f", double(mem) / resting);
      if (hash) printf(" evhash %016llx state %016llx", (unsigned long long)evHash, (unsigned long long)book.stateHash());
      printf("\n");
    }
  }
  return 0;
}
