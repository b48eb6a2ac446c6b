// A small persistent thread pool: the calling (JavaScript) thread works too, the others wait between
// kernels by spinning briefly and then sleeping, so back-to-back kernels do not pay a wake-up each.
#pragma once
#include <cstdint>
#include <functional>

namespace samnative {

/** Sets how many threads kernels use (the caller included); 1 runs everything on the caller. */
void set_thread_count(int threads);
int thread_count();

/**
 * Runs body(begin, end, thread) over [0, total) in chunks of at least `grain` items, handed out
 * dynamically (a descheduled thread does not hold the others back). `thread` is in [0, thread_count()),
 * so bodies can index per-thread scratch. Calls must not nest.
 */
void parallel_for(int64_t total, int64_t grain, const std::function<void(int64_t, int64_t, int)>& body);

/**
 * While one is alive on a thread, parallel_for called from that thread runs its body inline. A kernel that
 * spreads an outer loop over the threads (e.g. one group of a grouped convolution per thread) opens one in
 * each body, so that the dense kernels it calls stay serial instead of nesting parallel_for.
 */
class SerialRegion {
 public:
  SerialRegion();
  ~SerialRegion();
  SerialRegion(const SerialRegion&) = delete;
  SerialRegion& operator=(const SerialRegion&) = delete;
};

}  // namespace samnative
