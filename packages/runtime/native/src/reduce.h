// Sums and means of float32 tensors over any set of axes, accumulated in double.
#pragma once
#include <cstdint>
#include <vector>

namespace samnative {

/**
 * out[kept index] = sum (or mean) over the axes flagged in `reduced` of x, or of the float32 products
 * x[i] * y[i] when y is given (y has x's shape); out is in kept-axes order.
 */
void reduce_sum(const float* x, const float* y, const std::vector<int64_t>& shape, const std::vector<bool>& reduced,
                float* out, bool mean);

}  // namespace samnative
