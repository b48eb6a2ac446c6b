#include "group_norm.h"

#include <cmath>
#include <vector>

#include "parallel.h"

namespace samnative {
namespace {

// Every sample is normalized on its own, so one sample is one work item, computed start to end by one thread in a
// fixed order; the only cross-sample sums (dgamma, dbeta) add per-sample partials in sample order afterwards.
// Results are therefore the same for any number of threads.

/** out[c] = sum over the rows of one sample of what add_row(row, acc) adds to acc[c], in double. */
template <typename AddRow>
void row_sums(int64_t rows, int64_t width, double* out, const AddRow& add_row) {
  for (int64_t c = 0; c < width; c++) out[c] = 0.0;
  for (int64_t r = 0; r < rows; r++) add_row(r, out);
}

/** Sum of the per-channel values v[c] over the channels of group g (in channel order). */
double group_total(const double* v, int64_t g, int64_t per_group) {
  double total = 0.0;
  for (int64_t c = g * per_group; c < (g + 1) * per_group; c++) total += v[c];
  return total;
}

}  // namespace

void group_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* variance,
                        const GroupNormShape& s) {
  const int64_t C = s.channels, R = s.rows, G = s.groups, per_group = C / G, per_replica = s.samples / s.replicas;
  const double count = (double)(R * per_group);
  // Per-sample scratch (small: samples * channels), so work items share nothing.
  std::vector<double> sums((size_t)(s.samples * C));
  std::vector<float> channel_mean((size_t)(s.samples * C)), channel_invstd((size_t)(s.samples * C));
  parallel_for(s.samples, 1, [&](int64_t begin, int64_t end, int) {
    for (int64_t n = begin; n < end; n++) {
      const float* __restrict xn = x + n * R * C;
      float* __restrict yn = y + n * R * C;
      double* __restrict acc = sums.data() + n * C;
      float* __restrict mc = channel_mean.data() + n * C;
      float* __restrict ic = channel_invstd.data() + n * C;
      row_sums(R, C, acc, [&](int64_t r, double* __restrict a) {
        const float* __restrict xr = xn + r * C;
        for (int64_t c = 0; c < C; c++) a[c] += (double)xr[c];
      });
      for (int64_t g = 0; g < G; g++) {
        mean[n * G + g] = (float)(group_total(acc, g, per_group) / count);
        for (int64_t c = g * per_group; c < (g + 1) * per_group; c++) mc[c] = mean[n * G + g];
      }
      row_sums(R, C, acc, [&](int64_t r, double* __restrict a) {
        const float* __restrict xr = xn + r * C;
        for (int64_t c = 0; c < C; c++) {
          const double d = (double)xr[c] - (double)mc[c];
          a[c] += d * d;
        }
      });
      for (int64_t g = 0; g < G; g++) {
        variance[n * G + g] = (float)(group_total(acc, g, per_group) / count);
        const float invstd = 1.0f / std::sqrt(variance[n * G + g] + s.epsilon);
        for (int64_t c = g * per_group; c < (g + 1) * per_group; c++) ic[c] = invstd;
      }
      const float* __restrict ga = gamma + (n / per_replica) * C;
      const float* __restrict be = beta + (n / per_replica) * C;
      for (int64_t r = 0; r < R; r++) {
        const float* __restrict xr = xn + r * C;
        float* __restrict yr = yn + r * C;
        for (int64_t c = 0; c < C; c++) {
          const float normalized = (xr[c] - mc[c]) * ic[c];
          const float v = normalized * ga[c] + be[c];
          yr[c] = s.relu ? (v > 0.0f ? v : 0.0f) : v;
        }
      }
    }
  });
}

void group_norm_backward(const float* dy, const float* x, const float* y, const float* gamma, const float* mean,
                         const float* variance, float* dx, float* dgamma, float* dbeta, const GroupNormShape& s) {
  const int64_t C = s.channels, R = s.rows, G = s.groups, per_group = C / G, per_replica = s.samples / s.replicas;
  const double count = (double)(R * per_group);
  // Per sample: sum dz [C], then sum dz * xhat [C] (the sample's share of dbeta, dgamma); coefficients of dx.
  std::vector<double> partial((size_t)(s.samples * 2 * C));
  std::vector<float> coefficients((size_t)(s.samples * 4 * C));
  parallel_for(s.samples, 1, [&](int64_t begin, int64_t end, int) {
    for (int64_t n = begin; n < end; n++) {
      const int64_t at = n * R * C;
      const float* __restrict ga = gamma + (n / per_replica) * C;
      double* __restrict sum_dz = partial.data() + n * 2 * C;
      double* __restrict sum_dz_xhat = sum_dz + C;
      float* __restrict mc = coefficients.data() + n * 4 * C;
      float* __restrict k1 = mc + C;
      float* __restrict k2 = mc + 2 * C;
      float* __restrict k3 = mc + 3 * C;
      for (int64_t g = 0; g < G; g++)
        for (int64_t c = g * per_group; c < (g + 1) * per_group; c++) mc[c] = mean[n * G + g];
      for (int64_t c = 0; c < 2 * C; c++) sum_dz[c] = 0.0;
      for (int64_t r = 0; r < R; r++) {
        const float* __restrict dyr = dy + at + r * C;
        const float* __restrict xr = x + at + r * C;
        if (s.relu) {
          const float* __restrict yr = y + at + r * C;
          for (int64_t c = 0; c < C; c++) {
            // dy * step(y) as a product (no branch, so the loop vectorizes).
            const double dz = dyr[c] * (yr[c] > 0.0f ? 1.0f : 0.0f);
            sum_dz[c] += dz;
            sum_dz_xhat[c] += dz * ((double)xr[c] - (double)mc[c]);
          }
        } else {
          for (int64_t c = 0; c < C; c++) {
            const double dz = dyr[c];
            sum_dz[c] += dz;
            sum_dz_xhat[c] += dz * ((double)xr[c] - (double)mc[c]);
          }
        }
      }
      // dx = k1 dz + k2 (x - mean) + k3: k1 = gamma invstd, k2 = -invstd^2 (sum u xhat) / M, k3 = -invstd (sum u) / M.
      for (int64_t g = 0; g < G; g++) {
        const double invstd = 1.0 / std::sqrt((double)variance[n * G + g] + (double)s.epsilon);
        double sum_u = 0.0, sum_u_xhat = 0.0;
        for (int64_t c = g * per_group; c < (g + 1) * per_group; c++) {
          sum_dz_xhat[c] *= invstd;
          sum_u += (double)ga[c] * sum_dz[c];
          sum_u_xhat += (double)ga[c] * sum_dz_xhat[c];
        }
        for (int64_t c = g * per_group; c < (g + 1) * per_group; c++) {
          k1[c] = (float)((double)ga[c] * invstd);
          k2[c] = (float)(-invstd * invstd * sum_u_xhat / count);
          k3[c] = (float)(-invstd * sum_u / count);
        }
      }
      for (int64_t r = 0; r < R; r++) {
        const float* __restrict dyr = dy + at + r * C;
        const float* __restrict xr = x + at + r * C;
        const float* __restrict yr = s.relu ? y + at + r * C : nullptr;
        float* __restrict dxr = dx + at + r * C;
        for (int64_t c = 0; c < C; c++) {
          const float dz = yr == nullptr ? dyr[c] : dyr[c] * (yr[c] > 0.0f ? 1.0f : 0.0f);
          dxr[c] = k1[c] * dz + k2[c] * (xr[c] - mc[c]) + k3[c];
        }
      }
    }
  });
  // dbeta, dgamma per replica: the samples' partials added in sample order (independent of the thread count).
  for (int64_t rep = 0; rep < s.replicas; rep++)
    for (int64_t c = 0; c < C; c++) {
      double b = 0.0, g = 0.0;
      for (int64_t n = rep * per_replica; n < (rep + 1) * per_replica; n++) {
        b += partial[n * 2 * C + c];
        g += partial[n * 2 * C + C + c];
      }
      dbeta[rep * C + c] = (float)b;
      dgamma[rep * C + c] = (float)g;
    }
}

}  // namespace samnative
