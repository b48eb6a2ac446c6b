#include "elementwise.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "parallel.h"

namespace samnative {
namespace {

constexpr int kMaxRank = 8;

// Float ops are correctly rounded, so they equal tfjs's double computation rounded to float32; the
// squared difference is formed in double like tfjs does before its single rounding.
template <BinaryOp op>
inline float apply(float a, float b) {
  if constexpr (op == BinaryOp::Add) return a + b;
  if constexpr (op == BinaryOp::Sub) return a - b;
  if constexpr (op == BinaryOp::Mul) return a * b;
  if constexpr (op == BinaryOp::Div) return a / b;
  if constexpr (op == BinaryOp::Max) return (a != a || b != b) ? std::numeric_limits<float>::quiet_NaN() : (a > b ? a : b);
  if constexpr (op == BinaryOp::Min) return (a != a || b != b) ? std::numeric_limits<float>::quiet_NaN() : (a < b ? a : b);
  if constexpr (op == BinaryOp::First) return a;
  if constexpr (op == BinaryOp::ReluGrad) return a * (b != b ? b : (b > 0.0f ? 1.0f : 0.0f));
  if constexpr (op == BinaryOp::SquareGrad) return a * (b * 2.0f);
  if constexpr (op == BinaryOp::SquaredDifference) {
    const double d = (double)a - (double)b;
    return (float)(d * d);
  }
  return 0.0f;
}

// Inner loop over `length` elements; a_step and b_step are 0 (broadcast) or 1.
template <BinaryOp op>
inline void inner(const float* __restrict a, int a_step, const float* __restrict b, int b_step, float* __restrict out,
                  int64_t length) {
  if (a_step == 1 && b_step == 1) {
    for (int64_t i = 0; i < length; i++) out[i] = apply<op>(a[i], b[i]);
  } else if (a_step == 1) {
    const float bv = b[0];
    for (int64_t i = 0; i < length; i++) out[i] = apply<op>(a[i], bv);
  } else if (b_step == 1) {
    const float av = a[0];
    for (int64_t i = 0; i < length; i++) out[i] = apply<op>(av, b[i]);
  } else {
    const float v = apply<op>(a[0], b[0]);
    for (int64_t i = 0; i < length; i++) out[i] = v;
  }
}

struct Layout {
  int rank = 0;
  int64_t dims[kMaxRank];
  int64_t a_strides[kMaxRank];
  int64_t b_strides[kMaxRank];
};

// Drops size-1 dimensions and merges neighbours that are contiguous in both operands, so that the
// common cases become one long row, or rows of `channels` against a broadcast vector.
Layout canonical_layout(const std::vector<int64_t>& a_shape, const std::vector<int64_t>& b_shape,
                        const std::vector<int64_t>& out_shape) {
  const int rank = (int)out_shape.size();
  std::vector<int64_t> a_full(rank, 1), b_full(rank, 1);
  for (size_t i = 0; i < a_shape.size(); i++) a_full[rank - a_shape.size() + i] = a_shape[i];
  for (size_t i = 0; i < b_shape.size(); i++) b_full[rank - b_shape.size() + i] = b_shape[i];
  std::vector<int64_t> a_strides(rank), b_strides(rank);
  int64_t as = 1, bs = 1;
  for (int d = rank - 1; d >= 0; d--) {
    a_strides[d] = a_full[d] == 1 ? 0 : as;
    b_strides[d] = b_full[d] == 1 ? 0 : bs;
    as *= a_full[d];
    bs *= b_full[d];
  }
  Layout layout;
  for (int d = 0; d < rank; d++) {
    if (out_shape[d] == 1) continue;
    if (layout.rank > 0) {
      const int last = layout.rank - 1;
      if (layout.a_strides[last] == a_strides[d] * out_shape[d] && layout.b_strides[last] == b_strides[d] * out_shape[d]) {
        layout.dims[last] *= out_shape[d];
        layout.a_strides[last] = a_strides[d];
        layout.b_strides[last] = b_strides[d];
        continue;
      }
    }
    layout.dims[layout.rank] = out_shape[d];
    layout.a_strides[layout.rank] = a_strides[d];
    layout.b_strides[layout.rank] = b_strides[d];
    layout.rank++;
  }
  if (layout.rank == 0) {
    layout.rank = 1;
    layout.dims[0] = 1;
    layout.a_strides[0] = 0;
    layout.b_strides[0] = 0;
  }
  return layout;
}

template <BinaryOp op>
void binary_impl(const float* a, const float* b, float* out, const Layout& layout) {
  const int rank = layout.rank;
  const int64_t length = layout.dims[rank - 1];
  const int a_step = (int)layout.a_strides[rank - 1], b_step = (int)layout.b_strides[rank - 1];
  int64_t total = 1;
  for (int d = 0; d < rank; d++) total *= layout.dims[d];
  parallel_for(total, 16384, [&](int64_t begin, int64_t end, int) {
    // Position of `begin` as (row counters, column); rows then advance incrementally.
    int64_t index[kMaxRank] = {0};
    int64_t row = begin / length, column = begin % length;
    int64_t a_offset = 0, b_offset = 0;
    for (int d = rank - 2; d >= 0; d--) {
      index[d] = row % layout.dims[d];
      row /= layout.dims[d];
      a_offset += index[d] * layout.a_strides[d];
      b_offset += index[d] * layout.b_strides[d];
    }
    int64_t e = begin;
    while (e < end) {
      const int64_t count = std::min(length - column, end - e);
      inner<op>(a + a_offset + column * a_step, a_step, b + b_offset + column * b_step, b_step, out + e, count);
      e += count;
      column = 0;
      for (int d = rank - 2; d >= 0; d--) {
        a_offset += layout.a_strides[d];
        b_offset += layout.b_strides[d];
        if (++index[d] < layout.dims[d]) break;
        a_offset -= index[d] * layout.a_strides[d];
        b_offset -= index[d] * layout.b_strides[d];
        index[d] = 0;
      }
    }
  });
}

template <UnaryOp op>
inline float apply_unary(float x, float alpha) {
  if constexpr (op == UnaryOp::Relu) return x > 0.0f ? x : (x != x ? x : 0.0f);
  if constexpr (op == UnaryOp::Relu6) return x != x ? x : (x > 6.0f ? 6.0f : (x > 0.0f ? x : 0.0f));
  if constexpr (op == UnaryOp::Step) return x != x ? x : (x > 0.0f ? 1.0f : alpha);
  if constexpr (op == UnaryOp::Neg) return -x;
  if constexpr (op == UnaryOp::Square) return x * x;
  if constexpr (op == UnaryOp::Sqrt) return std::sqrt(x);
  // tfjs computes 1 / Math.sqrt(x) and 1 / x in double and rounds once.
  if constexpr (op == UnaryOp::Rsqrt) return (float)(1.0 / std::sqrt((double)x));
  if constexpr (op == UnaryOp::Reciprocal) return (float)(1.0 / (double)x);
  if constexpr (op == UnaryOp::Abs) return std::fabs(x);
  return 0.0f;
}

template <UnaryOp op>
void unary_impl(const float* x, float* out, int64_t size, float alpha) {
  parallel_for(size, 32768, [&](int64_t begin, int64_t end, int) {
    const float* __restrict in = x;
    float* __restrict o = out;
    for (int64_t i = begin; i < end; i++) o[i] = apply_unary<op>(in[i], alpha);
  });
}

}  // namespace

void binary(BinaryOp op, const float* a, const std::vector<int64_t>& a_shape, const float* b,
            const std::vector<int64_t>& b_shape, float* out, const std::vector<int64_t>& out_shape) {
  const Layout layout = canonical_layout(a_shape, b_shape, out_shape);
  switch (op) {
    case BinaryOp::Add: return binary_impl<BinaryOp::Add>(a, b, out, layout);
    case BinaryOp::Sub: return binary_impl<BinaryOp::Sub>(a, b, out, layout);
    case BinaryOp::Mul: return binary_impl<BinaryOp::Mul>(a, b, out, layout);
    case BinaryOp::Div: return binary_impl<BinaryOp::Div>(a, b, out, layout);
    case BinaryOp::Max: return binary_impl<BinaryOp::Max>(a, b, out, layout);
    case BinaryOp::Min: return binary_impl<BinaryOp::Min>(a, b, out, layout);
    case BinaryOp::SquaredDifference: return binary_impl<BinaryOp::SquaredDifference>(a, b, out, layout);
    case BinaryOp::First: return binary_impl<BinaryOp::First>(a, b, out, layout);
    case BinaryOp::ReluGrad: return binary_impl<BinaryOp::ReluGrad>(a, b, out, layout);
    case BinaryOp::SquareGrad: return binary_impl<BinaryOp::SquareGrad>(a, b, out, layout);
  }
}

void unary(UnaryOp op, const float* x, float* out, int64_t size, float alpha) {
  switch (op) {
    case UnaryOp::Relu: return unary_impl<UnaryOp::Relu>(x, out, size, alpha);
    case UnaryOp::Relu6: return unary_impl<UnaryOp::Relu6>(x, out, size, alpha);
    case UnaryOp::Step: return unary_impl<UnaryOp::Step>(x, out, size, alpha);
    case UnaryOp::Neg: return unary_impl<UnaryOp::Neg>(x, out, size, alpha);
    case UnaryOp::Square: return unary_impl<UnaryOp::Square>(x, out, size, alpha);
    case UnaryOp::Sqrt: return unary_impl<UnaryOp::Sqrt>(x, out, size, alpha);
    case UnaryOp::Rsqrt: return unary_impl<UnaryOp::Rsqrt>(x, out, size, alpha);
    case UnaryOp::Abs: return unary_impl<UnaryOp::Abs>(x, out, size, alpha);
    case UnaryOp::Reciprocal: return unary_impl<UnaryOp::Reciprocal>(x, out, size, alpha);
  }
}

void add_n(const std::vector<const float*>& inputs, float* out, int64_t size) {
  parallel_for(size, 32768, [&](int64_t begin, int64_t end, int) {
    float* __restrict o = out;
    const float* __restrict first = inputs[0];
    for (int64_t i = begin; i < end; i++) o[i] = first[i];
    for (size_t k = 1; k < inputs.size(); k++) {
      const float* __restrict in = inputs[k];
      for (int64_t i = begin; i < end; i++) o[i] += in[i];
    }
  });
}

void bias_activation(float* y, int64_t rows, int channels, const float* bias, int activation) {
  parallel_for(rows, 1024, [&](int64_t begin, int64_t end, int) {
    for (int64_t r = begin; r < end; r++) {
      float* __restrict row = y + r * channels;
      if (bias)
        for (int c = 0; c < channels; c++) row[c] += bias[c];
      if (activation == 1)
        for (int c = 0; c < channels; c++) row[c] = apply_unary<UnaryOp::Relu>(row[c], 0.0f);
    }
  });
}

void replica_axpy(const float* base, const float* g, const float* factor, int64_t replicas, int64_t size, float* out) {
  parallel_for(replicas * size, 32768, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end;) {
      const int64_t replica = i / size, j = i % size, stop = std::min(end - i, size - j);
      const float f = factor[replica];
      // The product is stored and rounded before the sum, as tfjs's Multiply then Add: two loops over blocks that
      // stay in L1, because in one expression the compiler contracts g * f + base into a fused multiply-add.
      for (int64_t t0 = 0; t0 < stop; t0 += 1024) {
        const int64_t n = std::min<int64_t>(1024, stop - t0);
        const float* __restrict gr = g + i + t0;
        const float* __restrict br = base + j + t0;
        float* __restrict o = out + i + t0;
        for (int64_t t = 0; t < n; t++) o[t] = gr[t] * f;
        for (int64_t t = 0; t < n; t++) o[t] = br[t] + o[t];
      }
      i += stop;
    }
  });
}

}  // namespace samnative
