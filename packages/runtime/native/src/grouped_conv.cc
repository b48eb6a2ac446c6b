#include "grouped_conv.h"

#include <cstdint>

#include "parallel.h"

namespace samnative {
namespace {

struct GroupStrides {
  int64_t input, output, filter;
};

GroupStrides strides_of(const ConvShape& s) {
  return {(int64_t)s.batch * s.in_height * s.in_width * s.in_channels,
          (int64_t)s.batch * s.out_height * s.out_width * s.out_channels,
          (int64_t)s.filter_height * s.filter_width * s.in_channels * s.out_channels};
}

/**
 * Runs one(g) for every group. With at least two groups per thread, whole groups go to the threads (each
 * group's dense kernel serial, in a SerialRegion): small groups (m = 8 images of 8x8) leave too little work
 * inside one kernel to share. With fewer groups, they run one after another, each dense kernel spreading
 * its rows over the threads. Either way one group's result is computed exactly as the dense kernel computes
 * it, so the output does not depend on the thread count.
 */
template <typename F>
void over_groups(int groups, const F& one) {
  if (groups >= 2 * thread_count()) {
    parallel_for(groups, 1, [&](int64_t begin, int64_t end, int) {
      SerialRegion serial;
      for (int64_t g = begin; g < end; g++) one((int)g);
    });
  } else {
    for (int g = 0; g < groups; g++) one(g);
  }
}

}  // namespace

// All groups in one tfjs kernel: m-SAM pays tfjs's per-op cost once per layer, not once per sub-batch.
void grouped_conv2d_forward(const float* x, const float* w, float* y, const ConvShape& s, int groups) {
  const GroupStrides d = strides_of(s);
  over_groups(groups, [&](int g) { conv2d_forward(x + g * d.input, w + g * d.filter, y + g * d.output, s); });
}

void grouped_conv2d_backprop_input(const float* dy, const float* w, float* dx, const ConvShape& s, int groups) {
  const GroupStrides d = strides_of(s);
  over_groups(groups, [&](int g) { conv2d_backprop_input(dy + g * d.output, w + g * d.filter, dx + g * d.input, s); });
}

void grouped_conv2d_backprop_filter(const float* x, const float* dy, float* dw, const ConvShape& s, int groups) {
  const GroupStrides d = strides_of(s);
  over_groups(groups, [&](int g) { conv2d_backprop_filter(x + g * d.input, dy + g * d.output, dw + g * d.filter, s); });
}

}  // namespace samnative
