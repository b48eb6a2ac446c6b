#include "grouped_conv.h"

#include <cstdint>

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

}  // namespace

// Each group is one call of the dense kernel (which spreads its rows over the threads): the groups
// run one after another inside a single tfjs kernel, so m-SAM pays tfjs's per-op cost once per layer,
// not once per sub-batch. Every group's result depends only on its own inputs, so the output is the
// same for any thread count, as the dense kernels are.
void grouped_conv2d_forward(const float* x, const float* w, float* y, const ConvShape& s, int groups) {
  const GroupStrides d = strides_of(s);
  for (int g = 0; g < groups; g++) conv2d_forward(x + g * d.input, w + g * d.filter, y + g * d.output, s);
}

void grouped_conv2d_backprop_input(const float* dy, const float* w, float* dx, const ConvShape& s, int groups) {
  const GroupStrides d = strides_of(s);
  for (int g = 0; g < groups; g++) conv2d_backprop_input(dy + g * d.output, w + g * d.filter, dx + g * d.input, s);
}

void grouped_conv2d_backprop_filter(const float* x, const float* dy, float* dw, const ConvShape& s, int groups) {
  const GroupStrides d = strides_of(s);
  for (int g = 0; g < groups; g++) conv2d_backprop_filter(x + g * d.input, dy + g * d.output, dw + g * d.filter, s);
}

}  // namespace samnative
