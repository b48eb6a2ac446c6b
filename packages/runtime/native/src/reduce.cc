#include "reduce.h"

#include <algorithm>

#include "parallel.h"

namespace samnative {
namespace {

struct Dim {
  int64_t size;
  bool reduced;
  int64_t out_stride;  // 0 for reduced dimensions
};

// Element i of the summed tensor: x[i], or the float32 product x[i] * y[i] (rounded like tfjs's Multiply).
struct Plain {
  const float* x;
  float operator()(int64_t i) const { return x[i]; }
};
struct Product {
  const float* x;
  const float* y;
  float operator()(int64_t i) const { return x[i] * y[i]; }
};

template <typename Load>
double sum_row(const Load& load, int64_t offset, int64_t length) {
  // Eight independent partial sums keep the adder pipeline busy; the order is fixed, so results are
  // deterministic.
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= length; j += 8)
    for (int k = 0; k < 8; k++) s[k] += load(offset + j + k);
  double total = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; j < length; j++) total += load(offset + j);
  return total;
}

// Adds the slice at `offset` (dims[first..]) into acc (indexed through out_stride).
template <typename Load>
void accumulate(const Load& load, int64_t offset, const std::vector<Dim>& dims, size_t first,
                const std::vector<int64_t>& in_strides, double* acc) {
  const Dim& d = dims[first];
  if (first + 1 == dims.size()) {
    if (d.reduced) acc[0] += sum_row(load, offset, d.size);
    else
      for (int64_t j = 0; j < d.size; j++) acc[j] += load(offset + j);
    return;
  }
  if (first + 2 == dims.size() && d.reduced) {
    // [rows, kept] (the channels of NHWC BatchNorm statistics): accumulate rows in float32 blocks of
    // eight, exact enough and vectorizable, then into the double accumulator.
    const int64_t width = dims[first + 1].size, rows = d.size;
    std::vector<float> block(width);
    int64_t r = 0;
    for (; r + 8 <= rows; r += 8) {
      for (int64_t j = 0; j < width; j++) block[j] = 0.0f;
      for (int k = 0; k < 8; k++) {
        const int64_t base = offset + (r + k) * width;
        for (int64_t j = 0; j < width; j++) block[j] += load(base + j);
      }
      for (int64_t j = 0; j < width; j++) acc[j] += block[j];
    }
    for (; r < rows; r++)
      for (int64_t j = 0; j < width; j++) acc[j] += load(offset + r * width + j);
    return;
  }
  for (int64_t i = 0; i < d.size; i++)
    accumulate(load, offset + i * in_strides[first], dims, first + 1, in_strides, acc + i * d.out_stride);
}

template <typename Load>
void reduce_impl(const Load& load, const std::vector<int64_t>& shape, const std::vector<bool>& reduced, float* out, bool mean) {
  std::vector<Dim> dims;
  int64_t count = 1, out_size = 1;
  for (size_t i = 0; i < shape.size(); i++) {
    if (reduced[i]) count *= shape[i];
    else out_size *= shape[i];
    if (shape[i] == 1) continue;
    if (!dims.empty() && dims.back().reduced == reduced[i]) dims.back().size *= shape[i];
    else dims.push_back({shape[i], reduced[i], 0});
  }
  const double scale = mean ? 1.0 / (double)count : 1.0;
  if (dims.empty()) {  // every dimension has size 1
    for (int64_t i = 0; i < out_size; i++) out[i] = (float)((double)load(i) * scale);
    return;
  }
  std::vector<int64_t> in_strides(dims.size());
  int64_t in_stride = 1, out_stride = 1;
  for (size_t k = dims.size(); k-- > 0;) {
    in_strides[k] = in_stride;
    in_stride *= dims[k].size;
    dims[k].out_stride = dims[k].reduced ? 0 : out_stride;
    if (!dims[k].reduced) out_stride *= dims[k].size;
  }
  const Dim& outer = dims[0];
  if (!outer.reduced) {
    // Each outer index owns a disjoint block of the output.
    const int64_t block = out_size / outer.size;
    parallel_for(outer.size, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, in_strides[0])), [&](int64_t begin, int64_t end, int) {
      std::vector<double> acc(block);
      for (int64_t i = begin; i < end; i++) {
        std::fill(acc.begin(), acc.end(), 0.0);
        if (dims.size() == 1) acc[0] = load(i);
        else accumulate(load, i * in_strides[0], dims, 1, in_strides, acc.data());
        for (int64_t j = 0; j < block; j++) out[i * block + j] = (float)(acc[j] * scale);
      }
    });
    return;
  }
  // The outer dimension is summed in a fixed number of blocks with private accumulators, combined in
  // block order: the result does not depend on the thread count or on which thread took which block.
  const int64_t min_rows = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, in_strides[0]));
  const int64_t blocks = std::max<int64_t>(1, std::min<int64_t>(16, outer.size / min_rows));
  const int64_t rows_per_block = (outer.size + blocks - 1) / blocks;
  std::vector<double> partial((size_t)blocks * out_size, 0.0);
  parallel_for(blocks, 1, [&](int64_t begin, int64_t end, int) {
    for (int64_t block = begin; block < end; block++) {
      double* acc = partial.data() + (size_t)block * out_size;
      const int64_t first = block * rows_per_block, last = std::min(outer.size, first + rows_per_block);
      if (first >= last) continue;
      if (dims.size() == 1) {
        acc[0] += sum_row(load, first, last - first);
      } else if (dims.size() == 2) {
        // [rows, kept]: hand the whole row range to the blocked accumulator.
        std::vector<Dim> sub = {{last - first, true, 0}, dims[1]};
        std::vector<int64_t> sub_strides = {in_strides[0], 1};
        accumulate(load, first * in_strides[0], sub, 0, sub_strides, acc);
      } else {
        for (int64_t i = first; i < last; i++) accumulate(load, i * in_strides[0], dims, 1, in_strides, acc);
      }
    }
  });
  for (int64_t j = 0; j < out_size; j++) {
    double total = 0.0;
    for (int64_t block = 0; block < blocks; block++) total += partial[(size_t)block * out_size + j];
    out[j] = (float)(total * scale);
  }
}

}  // namespace

void reduce_sum(const float* x, const float* y, const std::vector<int64_t>& shape, const std::vector<bool>& reduced,
                float* out, bool mean) {
  if (y) reduce_impl(Product{x, y}, shape, reduced, out, mean);
  else reduce_impl(Plain{x}, shape, reduced, out, mean);
}

}  // namespace samnative
