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

// [rows, columns] summed over rows with at least this many columns: split over the columns (below, the
// rows are split into blocks with one private accumulator of the whole output each).
constexpr int64_t kWideColumns = 16384;
// Rows longer than this are summed in pieces of this length (a multiple of 8), so that a few long rows
// (per-replica norms of m-SAM) still give every thread work.
constexpr int64_t kPieceLength = 1 << 16;

/**
 * out[j] = scale * sum_r x[r][j] for x [rows, columns] with many columns (m-SAM's sum over the replica axis):
 * columns split over the threads, each column's rows added in order in double, so the result does not depend
 * on the thread count, and it is that of summing the rows one by one in double.
 */
template <typename Load>
void reduce_rows_of_wide(const Load& load, int64_t rows, int64_t columns, float* out, double scale) {
  constexpr int64_t kTile = 512;
  parallel_for((columns + kTile - 1) / kTile, 8, [&](int64_t begin, int64_t end, int) {
    double acc[kTile];
    for (int64_t tile = begin; tile < end; tile++) {
      const int64_t c0 = tile * kTile, width = std::min(kTile, columns - c0);
      for (int64_t j = 0; j < width; j++) acc[j] = 0.0;
      for (int64_t r = 0; r < rows; r++) {
        const int64_t base = r * columns + c0;
        for (int64_t j = 0; j < width; j++) acc[j] += (double)load(base + j);
      }
      for (int64_t j = 0; j < width; j++) out[c0 + j] = (float)(acc[j] * scale);
    }
  });
}

/**
 * out[r] = scale * sum_j x[r][j] for x [rows, length] with long rows: every row in fixed pieces of kPieceLength
 * (each summed by sum_row), the pieces' double sums added in order; the split depends on the shape only.
 */
template <typename Load>
void reduce_long_rows(const Load& load, int64_t rows, int64_t length, float* out, double scale) {
  const int64_t pieces = (length + kPieceLength - 1) / kPieceLength;
  std::vector<double> partial((size_t)(rows * pieces));
  parallel_for(rows * pieces, 1, [&](int64_t begin, int64_t end, int) {
    for (int64_t item = begin; item < end; item++) {
      const int64_t r = item / pieces, first = item % pieces * kPieceLength;
      partial[(size_t)item] = sum_row(load, r * length + first, std::min(kPieceLength, length - first));
    }
  });
  for (int64_t r = 0; r < rows; r++) {
    double total = 0.0;
    for (int64_t p = 0; p < pieces; p++) total += partial[(size_t)(r * pieces + p)];
    out[r] = (float)(total * scale);
  }
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
  if (dims.size() == 2 && outer.reduced && dims[1].size >= kWideColumns) {
    reduce_rows_of_wide(load, outer.size, dims[1].size, out, scale);
    return;
  }
  if (dims.size() == 2 && !outer.reduced && dims[1].size > kPieceLength) {
    reduce_long_rows(load, outer.size, dims[1].size, out, scale);
    return;
  }
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
