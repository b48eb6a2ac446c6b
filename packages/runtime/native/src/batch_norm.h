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
 * y = x * scale + shift (+ residual[g,r,c] when residual is not null: a residual block's merge), then max(y, 0)
 * when relu.
 */
void batch_norm_forward(const float* x, const float* residual, const float* gamma, const float* beta, float* y, float* mean,
                        float* variance, const BatchNormShape& s);

/**
 * The gradient of the above for upstream dy:
 *   dz = dy * [y > 0] (relu) or dy;  xhat = (x - mean) * invstd,  invstd = 1 / sqrt(var + eps);
 *   dbeta = sum_r dz;  dgamma = sum_r dz * xhat;  dx = gamma * invstd * (dz - dbeta / R - xhat * dgamma / R).
 * Without a residual (dresidual null) the mask is recomputed from x (beta needed with relu, y not read); with one,
 * the mask is read from y (needed with relu) and dresidual = dz, the residual's gradient.
 */
void batch_norm_backward(const float* dy, const float* x, const float* y, const float* beta, const float* gamma, const float* mean,
                         const float* variance, float* dx, float* dresidual, float* dgamma, float* dbeta, const BatchNormShape& s);

}  // namespace samnative
