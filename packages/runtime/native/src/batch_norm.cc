#include "batch_norm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "parallel.h"

namespace samnative {
namespace {

// Rows per work item of the channel sums. Fixed (not derived from the thread count), and the items' partial
// sums are added in item order, so results are the same for any number of threads.
constexpr int64_t kRowsPerItem = 256;

/**
 * out[g, c, k] = sum over rows r of group g of term(g, r, c, k) for k < K, accumulated in double: per item
 * of kRowsPerItem rows, then the items of a group in order.
 */
template <int K, typename Term>
void channel_sums(const BatchNormShape& s, const Term& term, std::vector<double>& out) {
  const int64_t C = s.channels, items_per_group = (s.rows + kRowsPerItem - 1) / kRowsPerItem;
  std::vector<double> partial((size_t)(s.groups * items_per_group * K * C), 0.0);
  parallel_for(s.groups * items_per_group, 1, [&](int64_t begin, int64_t end, int) {
    for (int64_t item = begin; item < end; item++) {
      const int64_t g = item / items_per_group, r0 = (item % items_per_group) * kRowsPerItem;
      const int64_t r1 = std::min(s.rows, r0 + kRowsPerItem);
      double* acc = partial.data() + item * K * C;
      for (int64_t r = r0; r < r1; r++)
        for (int64_t c = 0; c < C; c++) {
          double values[K];
          term(g, r, c, values);
          for (int k = 0; k < K; k++) acc[k * C + c] += values[k];
        }
    }
  });
  out.assign((size_t)(s.groups * K * C), 0.0);
  for (int64_t g = 0; g < s.groups; g++)
    for (int64_t i = 0; i < items_per_group; i++) {
      const double* acc = partial.data() + (g * items_per_group + i) * K * C;
      for (int64_t j = 0; j < K * C; j++) out[g * K * C + j] += acc[j];
    }
}

/** Runs body(g, r0, r1) over the rows of every group in chunks (elementwise passes). */
template <typename Body>
void over_rows(const BatchNormShape& s, const Body& body) {
  const int64_t items_per_group = (s.rows + kRowsPerItem - 1) / kRowsPerItem;
  parallel_for(s.groups * items_per_group, 1, [&](int64_t begin, int64_t end, int) {
    for (int64_t item = begin; item < end; item++) {
      const int64_t g = item / items_per_group, r0 = (item % items_per_group) * kRowsPerItem;
      body(g, r0, std::min(s.rows, r0 + kRowsPerItem));
    }
  });
}

}  // namespace

void batch_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* variance,
                        const BatchNormShape& s) {
  const int64_t C = s.channels, R = s.rows;
  auto at = [&](int64_t g, int64_t r) { return (g * R + r) * C; };
  std::vector<double> sums;
  channel_sums<1>(s, [&](int64_t g, int64_t r, int64_t c, double* v) { v[0] = x[at(g, r) + c]; }, sums);
  for (int64_t i = 0; i < s.groups * C; i++) mean[i] = (float)(sums[i] / (double)R);
  channel_sums<1>(
      s,
      [&](int64_t g, int64_t r, int64_t c, double* v) {
        const double d = (double)x[at(g, r) + c] - (double)mean[g * C + c];
        v[0] = (double)(float)(d * d);
      },
      sums);
  for (int64_t i = 0; i < s.groups * C; i++) variance[i] = (float)(sums[i] / (double)R);
  std::vector<float> scale((size_t)(s.groups * C)), shift((size_t)(s.groups * C));
  for (int64_t i = 0; i < s.groups * C; i++) {
    scale[i] = gamma[i] * (1.0f / std::sqrt(variance[i] + s.epsilon));
    shift[i] = beta[i] - mean[i] * scale[i];
  }
  over_rows(s, [&](int64_t g, int64_t r0, int64_t r1) {
    const float* sc = scale.data() + g * C;
    const float* sh = shift.data() + g * C;
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + at(g, r);
      float* yr = y + at(g, r);
      for (int64_t c = 0; c < C; c++) {
        const float product = xr[c] * sc[c];
        const float v = product + sh[c];
        yr[c] = s.relu ? (v > 0.0f ? v : 0.0f) : v;
      }
    }
  });
}

void batch_norm_backward(const float* dy, const float* x, const float* y, const float* gamma, const float* mean,
                         const float* variance, float* dx, float* dgamma, float* dbeta, const BatchNormShape& s) {
  const int64_t C = s.channels, R = s.rows;
  auto at = [&](int64_t g, int64_t r) { return (g * R + r) * C; };
  std::vector<float> invstd((size_t)(s.groups * C));
  for (int64_t i = 0; i < s.groups * C; i++) invstd[i] = 1.0f / std::sqrt(variance[i] + s.epsilon);
  auto upstream = [&](int64_t i) { return s.relu ? (y[i] > 0.0f ? dy[i] : 0.0f) : dy[i]; };
  std::vector<double> sums;
  channel_sums<2>(
      s,
      [&](int64_t g, int64_t r, int64_t c, double* v) {
        const int64_t i = at(g, r) + c;
        const double dz = upstream(i);
        v[0] = dz;
        v[1] = dz * ((double)x[i] - (double)mean[g * C + c]) * (double)invstd[g * C + c];
      },
      sums);
  for (int64_t g = 0; g < s.groups; g++)
    for (int64_t c = 0; c < C; c++) {
      dbeta[g * C + c] = (float)sums[(g * 2 + 0) * C + c];
      dgamma[g * C + c] = (float)sums[(g * 2 + 1) * C + c];
    }
  over_rows(s, [&](int64_t g, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++)
      for (int64_t c = 0; c < C; c++) {
        const int64_t i = at(g, r) + c, k = g * C + c;
        const double xhat = ((double)x[i] - (double)mean[k]) * (double)invstd[k];
        const double inner = (double)upstream(i) - sums[(g * 2) * C + c] / (double)R - xhat * sums[(g * 2 + 1) * C + c] / (double)R;
        dx[i] = (float)((double)gamma[k] * (double)invstd[k] * inner);
      }
  });
}

}  // namespace samnative
