// Fused BatchNorm (+ ReLU) with batch statistics, forward and backward, over `groups` independent groups
// (m-SAM's sub-batches; 1 for a plain batch). x is [groups, rows, channels] (NHWC flattened per group).
#pragma once
#include <cstdint>

namespace samnative {

struct BatchNormShape {
  int64_t groups, rows, channels;
  float epsilon;
  bool relu;
};

/**
 * mean[g,c] = (1/R) sum_r x[g,r,c];  var[g,c] = (1/R) sum_r (x[g,r,c] - mean[g,c])^2  (biased; one pass of shifted
 * sums in double);
 * scale = gamma[g,c] / sqrt(var + eps), shift = beta[g,c] - mean * scale (float32, as the unfused ops);
 * y = x * scale + shift, then max(y, 0) when relu.
 */
void batch_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* variance,
                        const BatchNormShape& s);

/**
 * The gradient of the above for upstream dy (beta is needed only with relu, for the mask y > 0, recomputed from x):
 *   dz = dy * [y > 0] (relu) or dy;  xhat = (x - mean) * invstd,  invstd = 1 / sqrt(var + eps);
 *   dbeta = sum_r dz;  dgamma = sum_r dz * xhat;  dx = gamma * invstd * (dz - dbeta / R - xhat * dgamma / R).
 */
void batch_norm_backward(const float* dy, const float* x, const float* beta, const float* gamma, const float* mean,
                         const float* variance, float* dx, float* dgamma, float* dbeta, const BatchNormShape& s);

}  // namespace samnative
