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
 * out[g, k, c] = sum over the rows r of group g of what add_row(g, r, acc) adds to acc[k * C + c] (k < K), in
 * double: per item of kRowsPerItem rows, then the items of a group in order. add_row loops over the channels
 * itself, so that the compiler vectorizes it.
 */
template <int K, typename AddRow>
void channel_sums(const BatchNormShape& s, const AddRow& add_row, std::vector<double>& out) {
  const int64_t C = s.channels, items_per_group = (s.rows + kRowsPerItem - 1) / kRowsPerItem;
  std::vector<double> partial((size_t)(s.groups * items_per_group * K * C), 0.0);
  parallel_for(s.groups * items_per_group, 1, [&](int64_t begin, int64_t end, int) {
    for (int64_t item = begin; item < end; item++) {
      const int64_t g = item / items_per_group, r0 = (item % items_per_group) * kRowsPerItem;
      const int64_t r1 = std::min(s.rows, r0 + kRowsPerItem);
      double* acc = partial.data() + item * K * C;
      for (int64_t r = r0; r < r1; r++) add_row(g, r, acc);
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

namespace {

/**
 * x * scale + shift in float32: the forward's output before the ReLU, and what the backward's ReLU mask is
 * recomputed from (one function, so that both compile to the same operations and the mask is y > 0 exactly).
 */
inline float pre_activation(float x, float scale, float shift) {
  const float product = x * scale;
  return product + shift;
}

/** dy * step(x * scale + shift): dy through the ReLU mask (a product, as tfjs's Relu gradient forms it: the loop vectorizes). */
inline float through_relu(float dy, float x, float scale, float shift) { return dy * (pre_activation(x, scale, shift) > 0.0f ? 1.0f : 0.0f); }

/** Per-channel scale = gamma / sqrt(var + eps) and shift = beta - mean * scale in float32 (the forward's and the mask's). */
void scale_and_shift(const float* gamma, const float* beta, const float* mean, const float* variance, const BatchNormShape& s,
                     std::vector<float>& scale, std::vector<float>& shift) {
  scale.resize((size_t)(s.groups * s.channels));
  shift.resize((size_t)(s.groups * s.channels));
  for (int64_t i = 0; i < s.groups * s.channels; i++) {
    scale[i] = gamma[i] * (1.0f / std::sqrt(variance[i] + s.epsilon));
    shift[i] = beta[i] - mean[i] * scale[i];
  }
}


/**
 * From the channel sums of dz and dz * (x - mean): dbeta, dgamma, and the per-channel coefficients of
 * dx = k1 dz + k2 x + k3: k1 = gamma invstd, k2 = -k1 invstd dgamma / R, k3 = -k1 dbeta / R - k2 mean.
 */
void gradient_coefficients(const std::vector<double>& sums, const float* gamma, const float* mean, const float* variance, float* dgamma,
                           float* dbeta, const BatchNormShape& s, std::vector<float>& k1, std::vector<float>& k2, std::vector<float>& k3) {
  const int64_t C = s.channels, R = s.rows;
  k1.resize((size_t)(s.groups * C));
  k2.resize((size_t)(s.groups * C));
  k3.resize((size_t)(s.groups * C));
  for (int64_t g = 0; g < s.groups; g++)
    for (int64_t c = 0; c < C; c++) {
      const int64_t k = g * C + c;
      const double invstd = 1.0 / std::sqrt((double)variance[k] + (double)s.epsilon);
      const double sum_dz = sums[(g * 2) * C + c], sum_dz_xhat = sums[(g * 2 + 1) * C + c] * invstd;
      dbeta[k] = (float)sum_dz;
      dgamma[k] = (float)sum_dz_xhat;
      const double a = (double)gamma[k] * invstd, b = -a * invstd * sum_dz_xhat / (double)R;
      k1[k] = (float)a;
      k2[k] = (float)b;
      k3[k] = (float)(-a * sum_dz / (double)R - b * (double)mean[k]);
    }
}

/** ReLU's gradient factor read from its output, as tfjs's Relu gradient forms it from the input: 1 where y > 0, NaN kept. */
inline float relu_factor_of_output(float y) { return y != y ? y : (y > 0.0f ? 1.0f : 0.0f); }

/**
 * The backward's second pass: dx = k1 dz + k2 x + k3 per channel (gradient_coefficients), with dz = dy masked by the
 * ReLU recomputed from x when scale and shift are given (through_relu), else dz = dy (dz already stored, or no ReLU).
 */
void input_gradient(const float* dy, const float* x, const float* scale, const float* shift, const std::vector<float>& k1,
                    const std::vector<float>& k2, const std::vector<float>& k3, float* dx, const BatchNormShape& s) {
  const int64_t C = s.channels, R = s.rows;
  over_rows(s, [&](int64_t g, int64_t r0, int64_t r1) {
    const float* __restrict a = k1.data() + g * C;
    const float* __restrict b = k2.data() + g * C;
    const float* __restrict d = k3.data() + g * C;
    const float* __restrict sc = scale ? scale + g * C : nullptr;
    const float* __restrict sh = scale ? shift + g * C : nullptr;
    for (int64_t r = r0; r < r1; r++) {
      const float* __restrict dyr = dy + (g * R + r) * C;
      const float* __restrict xr = x + (g * R + r) * C;
      float* __restrict dxr = dx + (g * R + r) * C;
      for (int64_t c = 0; c < C; c++) {
        const float dz = sc ? through_relu(dyr[c], xr[c], sc[c], sh[c]) : dyr[c];
        dxr[c] = a[c] * dz + b[c] * xr[c] + d[c];
      }
    }
  });
}

/**
 * The backward of y = relu?(bn(x) + residual): dz = dy * [y > 0] (or dy) is the shortcut's gradient, so the first
 * pass stores it while it sums, and the second reads it back in place of dy and y. The same values as Relu's
 * gradient, then BatchNorm's without relu (one stream fewer than the two kernels, and no Relu kernel).
 */
void batch_norm_residual_backward(const float* dy, const float* x, const float* y, const float* gamma, const float* mean,
                                  const float* variance, float* dx, float* dresidual, float* dgamma, float* dbeta, const BatchNormShape& s) {
  const int64_t C = s.channels, R = s.rows;
  auto at = [&](int64_t g, int64_t r) { return (g * R + r) * C; };
  std::vector<double> sums;
  channel_sums<2>(
      s,
      [&](int64_t g, int64_t r, double* __restrict acc) {
        const float* __restrict dyr = dy + at(g, r);
        const float* __restrict yr = s.relu ? y + at(g, r) : nullptr;
        const float* __restrict xr = x + at(g, r);
        const float* __restrict mr = mean + g * C;
        float* __restrict dzr = dresidual + at(g, r);
        for (int64_t c = 0; c < C; c++) {
          const float dz = s.relu ? dyr[c] * relu_factor_of_output(yr[c]) : dyr[c];
          dzr[c] = dz;
          acc[c] += dz;
          acc[C + c] += (double)dz * ((double)xr[c] - (double)mr[c]);
        }
      },
      sums);
  std::vector<float> k1, k2, k3;
  gradient_coefficients(sums, gamma, mean, variance, dgamma, dbeta, s, k1, k2, k3);
  input_gradient(dresidual, x, nullptr, nullptr, k1, k2, k3, dx, s);
}

}  // namespace

void batch_norm_forward(const float* x, const float* residual, const float* gamma, const float* beta, float* y, float* mean,
                        float* variance, const BatchNormShape& s) {
  const int64_t C = s.channels, R = s.rows;
  auto at = [&](int64_t g, int64_t r) { return (g * R + r) * C; };
  // One pass over x for both statistics: sums of d = x - k and d^2 in double, with k the group's first row (a
  // value of the channel, so E[d] is small next to the spread and var = E[d^2] - E[d]^2 does not cancel). Two
  // passes (mean, then squared deviations) read x once more: about a quarter of this kernel's memory traffic.
  std::vector<double> sums;
  channel_sums<2>(
      s,
      [&](int64_t g, int64_t r, double* __restrict acc) {
        const float* __restrict xr = x + at(g, r);
        const float* __restrict kr = x + at(g, 0);
        for (int64_t c = 0; c < C; c++) {
          const double d = (double)xr[c] - (double)kr[c];
          acc[c] += d;
          acc[C + c] += d * d;
        }
      },
      sums);
  for (int64_t g = 0; g < s.groups; g++)
    for (int64_t c = 0; c < C; c++) {
      const double shift_mean = sums[(g * 2) * C + c] / (double)R;
      mean[g * C + c] = (float)((double)x[at(g, 0) + c] + shift_mean);
      variance[g * C + c] = (float)std::max(0.0, sums[(g * 2 + 1) * C + c] / (double)R - shift_mean * shift_mean);
    }
  std::vector<float> scale, shift;
  scale_and_shift(gamma, beta, mean, variance, s, scale, shift);
  over_rows(s, [&](int64_t g, int64_t r0, int64_t r1) {
    const float* sc = scale.data() + g * C;
    const float* sh = shift.data() + g * C;
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + at(g, r);
      float* yr = y + at(g, r);
      if (residual) {
        // The residual block's merge relu(bn(x) + shortcut): the sum rounded as tfjs's Add, the ReLU as its Relu
        // (NaN kept), so the values equal BatchNorm, Add and Relu run one after another.
        const float* rr = residual + at(g, r);
        for (int64_t c = 0; c < C; c++) {
          const float v = pre_activation(xr[c], sc[c], sh[c]) + rr[c];
          yr[c] = s.relu ? (v > 0.0f ? v : (v != v ? v : 0.0f)) : v;
        }
        continue;
      }
      for (int64_t c = 0; c < C; c++) {
        const float v = pre_activation(xr[c], sc[c], sh[c]);
        yr[c] = s.relu ? (v > 0.0f ? v : 0.0f) : v;
      }
    }
  });
}

void batch_norm_backward(const float* dy, const float* x, const float* y, const float* beta, const float* gamma, const float* mean,
                         const float* variance, float* dx, float* dresidual, float* dgamma, float* dbeta, const BatchNormShape& s) {
  if (dresidual) return batch_norm_residual_backward(dy, x, y, gamma, mean, variance, dx, dresidual, dgamma, dbeta, s);
  const int64_t C = s.channels, R = s.rows;
  auto at = [&](int64_t g, int64_t r) { return (g * R + r) * C; };
  // With relu the mask y > 0 is recomputed from x with the forward's float32 scale and shift (the same
  // operations, so the same mask) instead of reading y: two streams instead of three in each pass.
  std::vector<float> scale, shift;
  if (s.relu) scale_and_shift(gamma, beta, mean, variance, s, scale, shift);
  // sums[g][0][c] = sum dz, sums[g][1][c] = sum dz * (x - mean); dz = dy masked by y > 0 with relu.
  std::vector<double> sums;
  channel_sums<2>(
      s,
      [&](int64_t g, int64_t r, double* __restrict acc) {
        const float* __restrict dyr = dy + at(g, r);
        const float* __restrict xr = x + at(g, r);
        const float* __restrict mr = mean + g * C;
        const float* __restrict sc = s.relu ? scale.data() + g * C : nullptr;
        const float* __restrict sh = s.relu ? shift.data() + g * C : nullptr;
        for (int64_t c = 0; c < C; c++) {
          const double dz = s.relu ? through_relu(dyr[c], xr[c], sc[c], sh[c]) : dyr[c];
          acc[c] += dz;
          acc[C + c] += dz * ((double)xr[c] - (double)mr[c]);
        }
      },
      sums);
  std::vector<float> k1, k2, k3;
  gradient_coefficients(sums, gamma, mean, variance, dgamma, dbeta, s, k1, k2, k3);
  input_gradient(dy, x, s.relu ? scale.data() : nullptr, s.relu ? shift.data() : nullptr, k1, k2, k3, dx, s);
}

}  // namespace samnative
