// Elementwise float32 kernels with TensorFlow's broadcasting, rounding like tfjs's cpu backend.
#pragma once
#include <cstdint>
#include <vector>

namespace samnative {

// First copies a (broadcast); ReluGrad is a * step(b) and SquareGrad is a * (2 b), the products tfjs's
// Relu and Square gradients form in two passes.
enum class BinaryOp { Add = 0, Sub = 1, Mul = 2, Div = 3, Max = 4, Min = 5, SquaredDifference = 6, First = 7, ReluGrad = 8, SquareGrad = 9 };
enum class UnaryOp { Relu = 0, Step = 1, Neg = 2, Square = 3, Sqrt = 4, Rsqrt = 5, Abs = 6, Reciprocal = 7, Relu6 = 8 };

/** out = a op b, where a and b broadcast (right-aligned) to out_shape. */
void binary(BinaryOp op, const float* a, const std::vector<int64_t>& a_shape, const float* b,
            const std::vector<int64_t>& b_shape, float* out, const std::vector<int64_t>& out_shape);

/** out[i] = f(x[i]); alpha is Step's value for x <= 0. */
void unary(UnaryOp op, const float* x, float* out, int64_t size, float alpha);

/** out[i] = inputs[0][i] + inputs[1][i] + ... summed left to right in float32 (as tfjs cpu does). */
void add_n(const std::vector<const float*>& inputs, float* out, int64_t size);

/**
 * out[r, j] = base[j] + g[r, j] * factor[r] for r < replicas, j < size (the product rounded to float32 first, as
 * tfjs's Multiply then Add): m-SAM's perturbed replicas w + delta_r, delta_r = g_r * rho / ||g_r||, in one pass.
 */
void replica_axpy(const float* base, const float* g, const float* factor, int64_t replicas, int64_t size, float* out);

/** In place: y[i, c] = act(y[i, c] + bias[c]) for a [rows, channels] tensor; activation 0 linear, 1 relu. */
void bias_activation(float* y, int64_t rows, int channels, const float* bias, int activation);

}  // namespace samnative
