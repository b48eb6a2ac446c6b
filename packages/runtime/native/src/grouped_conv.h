// Grouped-weights convolutions for m-SAM in two passes: the batch is k consecutive groups of m
// images and group g is convolved with its own filter w[g] (k replicas of one layer's weights).
#pragma once
#include "conv.h"

namespace samnative {

/** y[g*m + n] = conv2d(x[g*m + n], w[g]) for g < groups, n < m = s.batch (s describes one group). */
void grouped_conv2d_forward(const float* x, const float* w, float* y, const ConvShape& s, int groups);

/** dx[g*m + n] = conv2d_backprop_input(dy[g*m + n], w[g]): the input gradient group by group. */
void grouped_conv2d_backprop_input(const float* dy, const float* w, float* dx, const ConvShape& s, int groups);

/** dw[g] = sum_{n < m} conv2d_backprop_filter(x[g*m + n], dy[g*m + n]): one filter gradient per group. */
void grouped_conv2d_backprop_filter(const float* x, const float* dy, float* dw, const ConvShape& s, int groups);

}  // namespace samnative
