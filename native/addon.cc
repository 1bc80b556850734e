// N-API surface of the book: plain functions over a per-environment table of
// books addressed by an integer handle (no ObjectWrap: a method call per order
// costs twice a plain function call, see FIELD-NOTES). The hot path is
// processReg(handle, n): ops come from a Float64Array registered once with
// setOps, events go to one registered with setEvents. engine/book/native-book.ts
// is the only caller; it validates every value before it gets here.
// The registered arrays' ArrayBuffers are held by napi_refs (alive until
// replaced or the book closes), and every call that uses them first asks
// whether the buffer was detached meanwhile (transfer, structuredClone): the
// cached data pointer would then point into freed memory, so the call throws
// instead. Asking is two cheap N-API calls; re-reading the typed array's info
// on every call cost ~40% of the per-call entry points. NativeBook registers
// only fixed-length arrays it creates itself (never resizable ones).
#include <node_api.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "book.h"
#include "codes.h"
#include "huge-alloc.h"

namespace {

using aurex::Book;

// A registered Float64Array: its ArrayBuffer (referenced) and its data and
// length in doubles as of registration.
struct Registered {
  napi_ref buf = nullptr;
  double* data = nullptr;
  size_t len = 0;
};

struct Entry {
  Book* book = nullptr;
  Registered ev;
  Registered ops;
};

struct State {
  std::vector<Entry> books;
};

#define CHECK(call)                                    \
  do {                                                 \
    if ((call) != napi_ok) {                           \
      napi_throw_error(env, nullptr, "napi: " #call); \
      return nullptr;                                  \
    }                                                  \
  } while (0)

struct Args {
  napi_value v[4];
  size_t n = 4;
  State* st = nullptr;
};

bool getArgs(napi_env env, napi_callback_info info, Args& a) {
  void* data = nullptr;
  if (napi_get_cb_info(env, info, &a.n, a.v, nullptr, &data) != napi_ok) return false;
  a.st = static_cast<State*>(data);
  return true;
}

Entry* entryOf(napi_env env, Args& a) {
  uint32_t h = 0;
  if (a.n < 1 || napi_get_value_uint32(env, a.v[0], &h) != napi_ok || h >= a.st->books.size() || !a.st->books[h].book) {
    napi_throw_range_error(env, nullptr, "aurex_book: bad book handle");
    return nullptr;
  }
  return &a.st->books[h];
}

// The prologue of every per-book call: arguments, then the book of handle
// v[0]. nullptr after throwing.
Entry* bookArgs(napi_env env, napi_callback_info info, Args& a) {
  if (!getArgs(env, info, a)) {
    napi_throw_error(env, nullptr, "napi: napi_get_cb_info");
    return nullptr;
  }
  return entryOf(env, a);
}

uint32_t u32(napi_env env, napi_value v) {
  uint32_t x = 0;
  napi_get_value_uint32(env, v, &x);
  return x;
}

double f64(napi_env env, napi_value v) {
  double x = 0;
  napi_get_value_double(env, v, &x);
  return x;
}

napi_value num(napi_env env, double x) {
  napi_value r;
  napi_create_double(env, x, &r);
  return r;
}

// Reads a Float64Array argument (length in doubles). Returns false after
// throwing. An empty array may have a null data pointer, so callers test the
// return value, never the pointer.
bool f64Array(napi_env env, napi_value v, double** data, size_t* len) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  napi_typedarray_type t = napi_int8_array;
  void* d = nullptr;
  if (is) napi_get_typedarray_info(env, v, &t, len, &d, nullptr, nullptr);
  if (!is || t != napi_float64_array) {
    napi_throw_type_error(env, nullptr, "aurex_book: expected a Float64Array");
    return false;
  }
  *data = static_cast<double*>(d);
  return true;
}

// The book handle (argument 0) and a Float64Array of rows (argument 1): the start of every call that passes rows.
Entry* bookAndArray(napi_env env, napi_callback_info info, Args& a, double** data, size_t* len) {
  Entry* e = bookArgs(env, info, a);
  if (!e || !f64Array(env, a.v[1], data, len)) return nullptr;
  return e;
}


// Registers a Float64Array (throws a TypeError for anything else).
bool registerArray(napi_env env, napi_value v, Registered* r) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  napi_typedarray_type t = napi_int8_array;
  size_t len = 0;
  void* d = nullptr;
  napi_value ab = nullptr;
  if (is) napi_get_typedarray_info(env, v, &t, &len, &d, &ab, nullptr);
  if (!is || t != napi_float64_array || ab == nullptr) {
    napi_throw_type_error(env, nullptr, "aurex_book: expected a Float64Array");
    return false;
  }
  if (r->buf) napi_delete_reference(env, r->buf);
  r->buf = nullptr;
  napi_create_reference(env, ab, 1, &r->buf);
  r->data = static_cast<double*>(d);
  r->len = d ? len : 0;
  return true;
}

void unregister(napi_env env, Registered* r) {
  if (r->buf) napi_delete_reference(env, r->buf);
  *r = Registered{};
}

// Data and length (in doubles) of a registered array now: length 0 when none
// is registered or its buffer was detached since.
size_t current(napi_env env, const Registered& r, double** data) {
  *data = nullptr;
  napi_value ab;
  bool detached = true;
  if (!r.buf || napi_get_reference_value(env, r.buf, &ab) != napi_ok || !ab) return 0;
  if (napi_is_detached_arraybuffer(env, ab, &detached) != napi_ok || detached) return 0;
  *data = r.data;
  return r.len;
}

// Points the sink at the events array; throws (and returns false) when it is
// detached or holds less than one row, so nothing is written.
bool refreshEvents(napi_env env, Entry* e) {
  double* d;
  const size_t len = current(env, e->ev, &d);
  if (len < static_cast<size_t>(aurex::EV_STRIDE)) {
    napi_throw_range_error(env, nullptr, "aurex_book: the events buffer is detached or smaller than one row (register one with setEvents)");
    return false;
  }
  const size_t rows = len / aurex::EV_STRIDE;
  e->book->sink.buf = d;
  e->book->sink.capRows = rows > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(rows);
  return true;
}

// create(maxPriceTicks, stpMode, initialOrders) -> handle
napi_value Create(napi_env env, napi_callback_info info) {
  Args a;
  CHECK(getArgs(env, info, a) ? napi_ok : napi_generic_failure);
  if (a.n < 3) {
    napi_throw_type_error(env, nullptr, "create(maxPrice, stp, initialOrders)");
    return nullptr;
  }
  Book* b = new Book(u32(env, a.v[0]), static_cast<int>(u32(env, a.v[1])));
  if (!b->init(u32(env, a.v[2]))) {
    delete b;
    napi_throw_error(env, nullptr, "aurex_book: out of memory");
    return nullptr;
  }
  uint32_t h = 0;
  while (h < a.st->books.size() && a.st->books[h].book) h++;
  if (h == a.st->books.size()) a.st->books.emplace_back();
  a.st->books[h] = Entry{};
  a.st->books[h].book = b;
  return num(env, h);
}

napi_value Close(napi_env env, napi_callback_info info) {
  Args a;
  Entry* e = bookArgs(env, info, a);
  if (!e) return nullptr;
  delete e->book;
  unregister(env, &e->ev);
  unregister(env, &e->ops);
  *e = Entry{};
  return nullptr;
}

// setEvents(h, Float64Array): the buffer events are written to (kept alive by a reference).
napi_value SetEvents(napi_env env, napi_callback_info info) {
  Args a;
  size_t len = 0;
  double* d = nullptr;
  Entry* e = bookAndArray(env, info, a, &d, &len);
  if (!e) return nullptr;
  if (len < static_cast<size_t>(aurex::EV_STRIDE)) {
    napi_throw_range_error(env, nullptr, "aurex_book: the events buffer must hold at least one row");
    return nullptr;
  }
  registerArray(env, a.v[1], &e->ev);
  return nullptr;
}

napi_value SetOps(napi_env env, napi_callback_info info) {
  Args a;
  Entry* e = bookArgs(env, info, a);
  if (!e) return nullptr;
  registerArray(env, a.v[1], &e->ops);
  return nullptr;
}

// With check = true, rows are first checked like validateOps (book.h,
// firstSuspectRow); if one fails nothing is applied and -1 is returned, so the
// wrapper can let validateOps throw its exact error.
napi_value runChecked(napi_env env, Book* b, const double* ops, uint32_t n, bool check) {
  if (check && aurex::firstSuspectRow(ops, n) != n) return num(env, -1);
  return num(env, b->process(ops, n));
}

bool flag(napi_env env, Args& a, size_t i) {
  if (a.n <= i) return false;
  bool v = false;
  napi_get_value_bool(env, a.v[i], &v);
  return v;
}

// processReg(h, n, check?): n ops from the registered ops buffer -> total event count.
napi_value ProcessReg(napi_env env, napi_callback_info info) {
  Args a;
  Entry* e = bookArgs(env, info, a);
  if (!e) return nullptr;
  double* ops;
  const size_t len = current(env, e->ops, &ops);
  const uint32_t n = u32(env, a.v[1]);
  if (n > len / aurex::OP_STRIDE) {
    napi_throw_range_error(env, nullptr, "aurex_book: more ops than the registered ops buffer holds (detached or too small)");
    return nullptr;
  }
  if (!refreshEvents(env, e)) return nullptr;
  return runChecked(env, e->book, ops, n, flag(env, a, 2));
}

// processArr(h, ops, n, check?)
napi_value ProcessArr(napi_env env, napi_callback_info info) {
  Args a;
  size_t len = 0;
  double* d = nullptr;
  Entry* e = bookAndArray(env, info, a, &d, &len);
  if (!e) return nullptr;
  uint32_t n = u32(env, a.v[2]);
  if (n > len / aurex::OP_STRIDE) n = static_cast<uint32_t>(len / aurex::OP_STRIDE);
  if (!refreshEvents(env, e)) return nullptr;
  return runChecked(env, e->book, d, n, flag(env, a, 3));
}

// drain(h): copies overflowed event rows into the (grown) registered buffer
// right after the rows that fit before; returns the rows copied.
napi_value Drain(napi_env env, napi_callback_info info) {
  Args a;
  Entry* e = bookArgs(env, info, a);
  if (!e) return nullptr;
  if (!refreshEvents(env, e)) return nullptr;
  aurex::EventSink& s = e->book->sink;
  const uint64_t rows = s.overflow.size() / aurex::EV_STRIDE;
  const uint64_t first = s.n - rows;
  if (s.n > s.capRows) {
    napi_throw_range_error(env, nullptr, "aurex_book: events buffer still too small to drain");
    return nullptr;
  }
  for (uint64_t i = 0; i < s.overflow.size(); i++) s.buf[first * aurex::EV_STRIDE + i] = s.overflow[i];
  s.overflow.clear();
  return num(env, static_cast<double>(rows));
}

napi_value BestBid(napi_env env, napi_callback_info info) {
  Args a;
  Entry* e = bookArgs(env, info, a);
  if (!e) return nullptr;
  return num(env, static_cast<double>(e->book->bestBid()));
}

napi_value BestAsk(napi_env env, napi_callback_info info) {
  Args a;
  Entry* e = bookArgs(env, info, a);
  if (!e) return nullptr;
  return num(env, static_cast<double>(e->book->bestAsk()));
}

napi_value BestQty(napi_env env, napi_callback_info info) {
  Args a;
  Entry* e = bookArgs(env, info, a);
  if (!e) return nullptr;
  return num(env, static_cast<double>(e->book->bestQty(u32(env, a.v[1]) == 0 ? 0 : 1)));
}

// depth(h, side, levels, out) -> levels written
napi_value Depth(napi_env env, napi_callback_info info) {
  Args a;
  Entry* e = bookArgs(env, info, a);
  if (!e) return nullptr;
  size_t len = 0;
  double* out = nullptr;
  if (!f64Array(env, a.v[3], &out, &len)) return nullptr;
  uint32_t levels = u32(env, a.v[2]);
  if (levels > len / 3) levels = static_cast<uint32_t>(len / 3);
  return num(env, e->book->depth(u32(env, a.v[1]) == 0 ? 0 : 1, levels, out));
}

// orderInfo(h, id, out[5]) -> boolean
napi_value OrderInfo(napi_env env, napi_callback_info info) {
  Args a;
  Entry* e = bookArgs(env, info, a);
  if (!e) return nullptr;
  size_t len = 0;
  double* out = nullptr;
  if (!f64Array(env, a.v[2], &out, &len)) return nullptr;
  if (len < 5) {
    napi_throw_range_error(env, nullptr, "orderInfo: out too small");
    return nullptr;
  }
  napi_value r;
  napi_get_boolean(env, e->book->orderInfo(static_cast<int64_t>(f64(env, a.v[1])), out), &r);
  return r;
}

napi_value OrderCount(napi_env env, napi_callback_info info) {
  Args a;
  Entry* e = bookArgs(env, info, a);
  if (!e) return nullptr;
  return num(env, static_cast<double>(e->book->orderCount()));
}

// Writes the book's rows into `out` (room for `cap` rows). Sized from the id
// index's count `n`; the walk over the levels writes at most `cap` rows and
// reports how many it found, so a disagreement (a corrupted book) throws,
// never writes past the buffer.
bool snapshotRows(napi_env env, Book* book, double* out, uint64_t cap, uint64_t n) {
  if (book->snapshot(out, cap) == n) return true;
  napi_throw_error(env, nullptr, "aurex_book: snapshot: the levels hold a different number of orders than the id index");
  return false;
}

// snapshot(h) -> Float64Array of [id, account, side, price, remaining, ts] rows
napi_value Snapshot(napi_env env, napi_callback_info info) {
  Args a;
  Entry* e = bookArgs(env, info, a);
  if (!e) return nullptr;
  const uint64_t n = e->book->orderCount();
  void* data = nullptr;
  napi_value ab, ta;
  CHECK(napi_create_arraybuffer(env, n * aurex::REST_STRIDE * sizeof(double), &data, &ab));
  if (!snapshotRows(env, e->book, static_cast<double*>(data), data ? n : 0, n)) return nullptr;
  CHECK(napi_create_typedarray(env, napi_float64_array, n * aurex::REST_STRIDE, ab, 0, &ta));
  return ta;
}

// snapshotInto(h, out) -> rows written into `out` (a Float64Array of the
// caller's, reused between snapshots to spare fresh pages), or -1 when it holds
// fewer than orderCount() rows (nothing written).
napi_value SnapshotInto(napi_env env, napi_callback_info info) {
  Args a;
  size_t len = 0;
  double* d = nullptr;
  Entry* e = bookAndArray(env, info, a, &d, &len);
  if (!e) return nullptr;
  const uint64_t n = e->book->orderCount();
  if (len / aurex::REST_STRIDE < n || (n != 0 && d == nullptr)) return num(env, -1);
  if (!snapshotRows(env, e->book, d, n, n)) return nullptr;
  return num(env, static_cast<double>(n));
}

// restore(h, rows, n) -> null, or {row, code} for the first row the book
// refused (Book::restore: the book is then unchanged or empty).
napi_value Restore(napi_env env, napi_callback_info info) {
  Args a;
  size_t len = 0;
  double* d = nullptr;
  Entry* e = bookAndArray(env, info, a, &d, &len);
  if (!e) return nullptr;
  uint32_t n = u32(env, a.v[2]);
  if (n > len / aurex::REST_STRIDE) n = static_cast<uint32_t>(len / aurex::REST_STRIDE);
  uint32_t row = 0;
  int32_t code = 0;
  napi_value r;
  switch (e->book->restore(d, n, &row, &code)) {
    case Book::RestoreStatus::OK:
      CHECK(napi_get_null(env, &r));
      return r;
    case Book::RestoreStatus::BAD_ROW:
      CHECK(napi_create_object(env, &r));
      CHECK(napi_set_named_property(env, r, "row", num(env, row)));
      CHECK(napi_set_named_property(env, r, "code", num(env, code)));
      return r;
    case Book::RestoreStatus::NO_MEMORY:
      break;
  }
  napi_throw_error(env, nullptr, "aurex_book: out of memory in restore");
  return nullptr;
}

napi_value StateHash(napi_env env, napi_callback_info info) {
  Args a;
  Entry* e = bookArgs(env, info, a);
  if (!e) return nullptr;
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(e->book->stateHash()));
  napi_value r;
  CHECK(napi_create_string_utf8(env, buf, 16, &r));
  return r;
}

napi_value MemoryUsage(napi_env env, napi_callback_info info) {
  Args a;
  Entry* e = bookArgs(env, info, a);
  if (!e) return nullptr;
  return num(env, static_cast<double>(e->book->memoryBytes()));
}

// check(h) -> null when the book is structurally sound, else a description.
napi_value Check(napi_env env, napi_callback_info info) {
  Args a;
  Entry* e = bookArgs(env, info, a);
  if (!e) return nullptr;
  const char* err = e->book->check();
  napi_value r;
  if (err) napi_create_string_utf8(env, err, NAPI_AUTO_LENGTH, &r);
  else napi_get_null(env, &r);
  return r;
}

napi_value Codes(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj;
  CHECK(napi_create_object(env, &obj));
#define AUREX_EXPORT_CODE(name) napi_set_named_property(env, obj, #name, num(env, aurex::code::name));
  AUREX_CODE_LIST(AUREX_EXPORT_CODE)
#undef AUREX_EXPORT_CODE
  return obj;
}

// hugeBuffer(bytes) -> ArrayBuffer | null: zeroed memory for the engine's big
// typed arrays (order rows, the terminal archive, the client-id table), mapped
// 2 MiB aligned and advised for transparent huge pages. On this kind of VM a
// first touch of a 4 KiB page costs microseconds and every cold access into a
// 100+ MB table is also a TLB miss; a huge page is one fault and one TLB entry
// for 512 of them. Unmapped when the buffer is collected. null when the size is
// out of range or the mapping fails (the caller falls back to an ArrayBuffer).
void FreeHuge(napi_env env, void* data, void* hint) {
  (void)env;
  munmap(data, static_cast<size_t>(reinterpret_cast<uintptr_t>(hint)));
}

napi_value HugeBuffer(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_value nul;
  CHECK(napi_get_null(env, &nul));
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  double want = 0;
  if (argc < 1 || napi_get_value_double(env, argv[0], &want) != napi_ok) return nul;
  // 1 byte .. 64 GiB; the caller passes whole rows, validated
  if (!(want >= 1 && want <= 68719476736.0)) return nul;
  const size_t huge = aurex::HUGE_PAGE;
  const size_t bytes = (static_cast<size_t>(want) + huge - 1) & ~(huge - 1);
  void* raw = mmap(nullptr, bytes + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return nul;
  const uintptr_t r = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t a = (r + huge - 1) & ~(static_cast<uintptr_t>(huge) - 1);
  // keep exactly [a, a + bytes): unmap the unaligned head and the tail
  if (a > r) munmap(raw, a - r);
  if (r + huge > a) munmap(reinterpret_cast<void*>(a + bytes), r + huge - a);
#ifdef MADV_HUGEPAGE
  madvise(reinterpret_cast<void*>(a), bytes, MADV_HUGEPAGE);
#endif
  napi_value ab;
  if (napi_create_external_arraybuffer(env, reinterpret_cast<void*>(a), bytes, FreeHuge, reinterpret_cast<void*>(bytes), &ab) != napi_ok) {
    munmap(reinterpret_cast<void*>(a), bytes);
    return nul;
  }
  return ab;
}

// CRC-32C (Castagnoli, reflected 0x82F63B78, init and final xor ~0): the
// journal's record checksum (engine/journal/crc32c.ts computes the same).
// With SSE4.2 8 bytes per instruction; else a byte table.
uint32_t crcTable[256];
bool crcHw = false;

void crcInit() {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    crcTable[n] = c;
  }
#if defined(__x86_64__) || defined(__i386__)
  crcHw = __builtin_cpu_supports("sse4.2");
#endif
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crcHwRun(const uint8_t* p, size_t n) {
  uint64_t c = 0xFFFFFFFFu;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; n > 0; n--, p++) c32 = __builtin_ia32_crc32qi(c32, *p);
  return ~c32;
}
#endif

uint32_t crc32c(const uint8_t* p, size_t n) {
#if defined(__x86_64__)
  if (crcHw) return crcHwRun(p, n);
#endif
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) c = crcTable[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return ~c;
}

// crc32cVerify(bytes, from, to, minLen, maxLen) -> offset: walks journal records
// [len u32][crc32c u32][payload of len bytes] from `from` and returns where the
// first one that is cut short by `to`, has a length outside [minLen, maxLen] or
// a wrong checksum starts (or `to`). The reader verifies a whole file in one
// call and checks only what follows in TypeScript (to name the fault);
// engine/journal/journal-reader.ts validates the arguments.
napi_value Crc32cVerify(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc < 5) {
    napi_throw_type_error(env, nullptr, "crc32cVerify(bytes, from, to, minLen, maxLen)");
    return nullptr;
  }
  napi_typedarray_type type;
  size_t len = 0;
  void* data = nullptr;
  napi_value ab;
  size_t off = 0;
  if (napi_get_typedarray_info(env, argv[0], &type, &len, &data, &ab, &off) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, nullptr, "crc32cVerify: bytes must be a Uint8Array");
    return nullptr;
  }
  double a[4];
  for (int i = 0; i < 4; i++) CHECK(napi_get_value_double(env, argv[i + 1], &a[i]));
  if (!(a[0] >= 0 && a[1] >= a[0] && a[1] <= static_cast<double>(len) && a[2] >= 0 && a[3] >= a[2])) {
    napi_throw_range_error(env, nullptr, "crc32cVerify: bad range");
    return nullptr;
  }
  const uint8_t* b = static_cast<const uint8_t*>(data);
  size_t p = static_cast<size_t>(a[0]);
  const size_t to = static_cast<size_t>(a[1]);
  const uint64_t minLen = static_cast<uint64_t>(a[2]);
  const uint64_t maxLen = static_cast<uint64_t>(a[3]);
  while (p + 8 <= to) {
    uint32_t n, crc;
    memcpy(&n, b + p, 4);  // little-endian hosts (x86-64, arm64)
    memcpy(&crc, b + p + 4, 4);
    if (n < minLen || n > maxLen || p + 8 + n > to) break;
    if (crc32c(b + p + 8, n) != crc) break;
    p += 8 + n;
  }
  return num(env, static_cast<double>(p));
}

void FinalizeState(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  State* st = static_cast<State*>(data);
  for (Entry& e : st->books) delete e.book;  // references die with the environment
  delete st;
}

napi_value Init(napi_env env, napi_value exports) {
  crcInit();
  State* st = new State();
  napi_set_instance_data(env, st, FinalizeState, nullptr);
  struct Fn {
    const char* name;
    napi_callback cb;
  };
  const Fn fns[] = {
      {"create", Create},       {"close", Close},           {"setEvents", SetEvents}, {"setOps", SetOps},
      {"processReg", ProcessReg}, {"processArr", ProcessArr}, {"drain", Drain},         {"bestBid", BestBid},
      {"bestAsk", BestAsk},     {"bestQty", BestQty},       {"depth", Depth},         {"orderInfo", OrderInfo},
      {"orderCount", OrderCount}, {"snapshot", Snapshot},   {"restore", Restore},     {"stateHash", StateHash},
      {"snapshotInto", SnapshotInto}, {"memoryUsage", MemoryUsage}, {"codes", Codes}, {"check", Check},
      {"hugeBuffer", HugeBuffer}, {"crc32cVerify", Crc32cVerify},
  };
  for (const Fn& f : fns) {
    napi_value fn;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, st, &fn);
    napi_set_named_property(env, exports, f.name, fn);
  }
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
