// Fused GroupNorm (+ ReLU), forward and backward. x is [samples, rows, channels] (NHWC flattened per sample,
// rows = H * W); the channels split into `groups` consecutive groups of channels / groups. The samples are
// `replicas` consecutive blocks (m-SAM's replicated weights; 1 for a plain batch), block r scaled and shifted
// with its own gamma[r], beta[r].
#pragma once
#include <cstdint>

namespace samnative {

struct GroupNormShape {
  int64_t samples, rows, channels, groups, replicas;
  float epsilon;
  bool relu;
};

/**
 * Per sample n and group g over its M = rows * channels / groups values (two passes, double sums):
 *   mean[n,g] = (1/M) sum x;  var[n,g] = (1/M) sum (x - mean)^2 (biased);  invstd = 1 / sqrt(var + eps) (float32);
 *   y = ((x - mean) * invstd) * gamma[r,c] + beta[r,c], r = n / (samples / replicas), then max(y, 0) when relu.
 */
void group_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* variance,
                        const GroupNormShape& s);

/**
 * The gradient of the above for upstream dy (y, the forward output, is needed only with relu, for the mask):
 *   dz = dy * [y > 0] (relu) or dy;  xhat = (x - mean) * invstd;  per channel and replica:
 *   dbeta[r,c] = sum_{n in r, rows} dz;  dgamma[r,c] = sum_{n in r, rows} dz * xhat;
 *   per sample and group, with u = dz * gamma (the gradient in xhat):
 *   dx = invstd * (u - (1/M) sum u - xhat * (1/M) sum u * xhat).
 */
void group_norm_backward(const float* dy, const float* x, const float* y, const float* gamma, const float* mean,
                         const float* variance, float* dx, float* dgamma, float* dbeta, const GroupNormShape& s);

}  // namespace samnative
