// Contention guard, shared by every kernel that splits small work over threads (GEMM, decode
// attention). On a machine with more runnable threads than cores, the helper thread may get no
// core for a whole scheduler time slice while the caller waits for its share: measured here, a
// 0.2 ms product then took 15-25 ms. When, after a threaded call, the caller waited much longer
// than its own share took, calls stay on the calling thread for a back-off period that doubles
// while contention lasts (50 ms .. 2 s) and resets after a threaded call goes well. On an idle
// machine the helper starts within microseconds and this never triggers. Results never depend on
// the choice: the kernels that consult it compute every element the same way however the work
// is split.
#pragma once
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

#include <omp.h>

namespace distil {

inline std::atomic<int64_t> gSerialUntil{0};
inline std::atomic<int64_t> gBackoff{50'000'000};
constexpr int64_t kMinBackoffNs = 50'000'000, kMaxBackoffNs = 2'000'000'000;

inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// True while calls should stay on the calling thread.
inline bool Contended() { return NowNs() < gSerialUntil.load(std::memory_order_relaxed); }

// ownNs: the caller's own share; waitedNs: time spent waiting on the helpers, at the fork (libgomp
// waits there for a helper still finishing the previous call) and at the join.
inline void NoteWait(int64_t ownNs, int64_t waitedNs) {
  if (waitedNs > std::max<int64_t>(1'000'000, 2 * ownNs)) {
    const int64_t b = gBackoff.load(std::memory_order_relaxed);
    gSerialUntil.store(NowNs() + b, std::memory_order_relaxed);
    gBackoff.store(std::min(kMaxBackoffNs, 2 * b), std::memory_order_relaxed);
  } else {
    gBackoff.store(kMinBackoffNs, std::memory_order_relaxed);
  }
}

// Runs body(tid, nth) on a parallel region of `threads` threads and notes how long the calling
// thread waited for the others, at the fork and at the join, against its own share.
template <class F>
inline void GuardedParallel(int threads, const F& body) {
  const int64_t start = NowNs();
  int64_t callerBegin = start, callerDone = start;
#pragma omp parallel num_threads(threads)
  {
    const int tid = omp_get_thread_num();
    if (tid == 0) callerBegin = NowNs();  // the fork itself may wait for a helper to get a core
    body(tid, omp_get_num_threads());
    if (tid == 0) callerDone = NowNs();
  }
  NoteWait(callerDone - callerBegin, (callerBegin - start) + (NowNs() - callerDone));
}

}  // namespace distil
