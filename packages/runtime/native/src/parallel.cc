#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax() { _mm_pause(); }
#else
static inline void cpu_relax() {}
#endif

namespace samnative {
namespace {

// Job state in one word: job number (high 32 bits), a "closed" bit, and the number of threads inside
// the job. The caller never waits for a thread that has not joined yet: on a loaded machine a helper
// thread may not be scheduled for milliseconds, and the caller then simply does all chunks itself.
constexpr uint64_t kClosed = 1ull << 31;
constexpr uint64_t kActiveMask = kClosed - 1;

class Pool {
 public:
  ~Pool() { resize(1); }

  int size() const { return threads_; }

  void resize(int threads) {
    threads = std::max(1, threads);
    if (threads == threads_) return;
    stop_workers();
    threads_ = threads;
    for (int i = 1; i < threads_; i++) workers_.emplace_back([this, i] { worker_loop(i); });
  }

  void run(int64_t total, int64_t chunk, const std::function<void(int64_t, int64_t, int)>* body) {
    body_ = body;
    total_ = total;
    chunk_ = chunk;
    next_.store(0, std::memory_order_relaxed);
    const uint64_t job = ++jobs_;
    state_.store(job << 32, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      wake_.notify_all();
    }
    work(0);
    // Every chunk is taken: close the job and wait only for threads that are inside it. After a short
    // spin the caller sleeps: a helper that was preempted may need this very core to finish its chunk.
    state_.fetch_or(kClosed, std::memory_order_acq_rel);
    for (int spins = 0; spins < 512; spins++) {
      if ((state_.load(std::memory_order_acquire) & kActiveMask) == 0) return;
      cpu_relax();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    caller_waiting_ = true;
    done_.wait(lock, [&] { return (state_.load(std::memory_order_acquire) & kActiveMask) == 0; });
    caller_waiting_ = false;
  }

 private:
  void work(int thread) {
    for (;;) {
      const int64_t begin = next_.fetch_add(chunk_, std::memory_order_relaxed);
      if (begin >= total_) break;
      (*body_)(begin, std::min(total_, begin + chunk_), thread);
    }
  }

  // Joins the job if it is still open; returns whether this thread may work on it.
  bool join(uint64_t job) {
    uint64_t state = state_.load(std::memory_order_acquire);
    for (;;) {
      if ((state >> 32) != job || (state & kClosed)) return false;
      if (state_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel)) return true;
    }
  }

  uint64_t current_job() const { return state_.load(std::memory_order_acquire) >> 32; }

  void worker_loop(int thread) {
    uint64_t seen = current_job();
    for (;;) {
      // Spin briefly for the next kernel (JavaScript glue between kernels takes tens of us), then sleep.
      const auto start = std::chrono::steady_clock::now();
      int spins = 0;
      while (current_job() == seen && !stopping_.load(std::memory_order_relaxed)) {
        cpu_relax();
        if ((++spins & 127) == 0 && std::chrono::steady_clock::now() - start > std::chrono::microseconds(50)) {
          std::unique_lock<std::mutex> lock(mutex_);
          sleepers_.fetch_add(1, std::memory_order_seq_cst);
          wake_.wait(lock, [&] { return current_job() != seen || stopping_.load(std::memory_order_relaxed); });
          sleepers_.fetch_sub(1, std::memory_order_seq_cst);
          break;
        }
      }
      if (stopping_.load(std::memory_order_relaxed)) return;
      seen = current_job();
      if (join(seen)) {
        work(thread);
        const uint64_t left = state_.fetch_sub(1, std::memory_order_acq_rel) - 1;
        if ((left & kActiveMask) == 0) {
          std::lock_guard<std::mutex> lock(mutex_);
          if (caller_waiting_) done_.notify_one();
        }
      }
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_.store(true);
      wake_.notify_all();
    }
    for (auto& worker : workers_) worker.join();
    workers_.clear();
    stopping_.store(false);
  }

  int threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  bool caller_waiting_ = false;  // guarded by mutex_
  uint64_t jobs_ = 0;
  std::atomic<uint64_t> state_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> next_{0};
  const std::function<void(int64_t, int64_t, int)>* body_ = nullptr;
  int64_t total_ = 0;
  int64_t chunk_ = 1;
};

Pool& pool() {
  static Pool instance;
  return instance;
}

thread_local int serial_depth = 0;

}  // namespace

SerialRegion::SerialRegion() { serial_depth++; }
SerialRegion::~SerialRegion() { serial_depth--; }

void set_thread_count(int threads) { pool().resize(threads); }
int thread_count() { return pool().size(); }

void parallel_for(int64_t total, int64_t grain, const std::function<void(int64_t, int64_t, int)>& body) {
  if (total <= 0) return;
  const int threads = pool().size();
  grain = std::max<int64_t>(1, grain);
  if (threads == 1 || serial_depth > 0 || total <= grain) {
    body(0, total, 0);
    return;
  }
  // About four chunks a thread balances load without much scheduling overhead.
  const int64_t chunk = std::max(grain, (total + 4 * threads - 1) / (4 * threads));
  if (chunk >= total) {
    body(0, total, 0);
    return;
  }
  pool().run(total, chunk, &body);
}

}  // namespace samnative
