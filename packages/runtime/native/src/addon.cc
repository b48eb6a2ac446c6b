// Node-API bindings of the native kernels. Every tensor argument is a Float32Array whose memory the
// kernels read or write in place (no copies); sizes are checked here so a wrong call throws instead of
// touching memory it does not own.
#include <node_api.h>

#include <cstdint>
#include <string>
#include <vector>

#include "batch_norm.h"
#include "conv.h"
#include "elementwise.h"
#include "group_norm.h"
#include "grouped_conv.h"
#include "parallel.h"
#include "reduce.h"
#include "simd.h"

namespace samnative {
namespace {

struct ArgumentError {
  std::string message;
};

class Call {
 public:
  Call(napi_env env, napi_callback_info info, size_t expected) : env_(env), args_(expected) {
    size_t count = expected;
    napi_get_cb_info(env, info, &count, args_.data(), nullptr, nullptr);
    if (count < expected) throw ArgumentError{"expected " + std::to_string(expected) + " arguments"};
  }

  float* floats(size_t index, int64_t expected_length, const char* name) {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    bool is_typed = false;
    napi_is_typedarray(env_, args_[index], &is_typed);
    if (!is_typed) throw ArgumentError{std::string(name) + " must be a Float32Array"};
    napi_get_typedarray_info(env_, args_[index], &type, &length, &data, nullptr, nullptr);
    if (type != napi_float32_array) throw ArgumentError{std::string(name) + " must be a Float32Array"};
    if (expected_length >= 0 && (int64_t)length < expected_length)
      throw ArgumentError{std::string(name) + " has " + std::to_string(length) + " elements, needs " + std::to_string(expected_length)};
    return static_cast<float*>(data);
  }

  int64_t length(size_t index) {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    napi_get_typedarray_info(env_, args_[index], &type, &length, &data, nullptr, nullptr);
    return (int64_t)length;
  }

  bool is_null(size_t index) {
    napi_valuetype type;
    napi_typeof(env_, args_[index], &type);
    return type == napi_null || type == napi_undefined;
  }

  int64_t integer(size_t index) {
    int64_t value = 0;
    if (napi_get_value_int64(env_, args_[index], &value) != napi_ok) throw ArgumentError{"expected an integer argument"};
    return value;
  }

  double number(size_t index) {
    double value = 0;
    if (napi_get_value_double(env_, args_[index], &value) != napi_ok) throw ArgumentError{"expected a number argument"};
    return value;
  }

  bool boolean(size_t index) {
    bool value = false;
    if (napi_get_value_bool(env_, args_[index], &value) != napi_ok) throw ArgumentError{"expected a boolean argument"};
    return value;
  }

  std::vector<int64_t> integers(size_t index) {
    uint32_t count = 0;
    if (napi_get_array_length(env_, args_[index], &count) != napi_ok) throw ArgumentError{"expected an array of integers"};
    std::vector<int64_t> values(count);
    for (uint32_t i = 0; i < count; i++) {
      napi_value element;
      napi_get_element(env_, args_[index], i, &element);
      if (napi_get_value_int64(env_, element, &values[i]) != napi_ok) throw ArgumentError{"expected an array of integers"};
    }
    return values;
  }

  std::vector<float*> float_arrays(size_t index, int64_t expected_length) {
    uint32_t count = 0;
    if (napi_get_array_length(env_, args_[index], &count) != napi_ok) throw ArgumentError{"expected an array of Float32Arrays"};
    std::vector<float*> arrays(count);
    for (uint32_t i = 0; i < count; i++) {
      napi_value element;
      napi_get_element(env_, args_[index], i, &element);
      napi_typedarray_type type;
      size_t length = 0;
      void* data = nullptr;
      bool is_typed = false;
      napi_is_typedarray(env_, element, &is_typed);
      if (!is_typed) throw ArgumentError{"expected an array of Float32Arrays"};
      napi_get_typedarray_info(env_, element, &type, &length, &data, nullptr, nullptr);
      if (type != napi_float32_array || (int64_t)length < expected_length) throw ArgumentError{"addN input has the wrong type or size"};
      arrays[i] = static_cast<float*>(data);
    }
    return arrays;
  }

  napi_env env() const { return env_; }

 private:
  napi_env env_;
  std::vector<napi_value> args_;
};

int64_t product(const std::vector<int64_t>& shape) {
  int64_t size = 1;
  for (int64_t d : shape) size *= d;
  return size;
}

ConvShape conv_shape(const std::vector<int64_t>& p) {
  if (p.size() != 15) throw ArgumentError{"convolution parameters must have 15 entries"};
  ConvShape s;
  s.batch = (int)p[0];
  s.in_height = (int)p[1];
  s.in_width = (int)p[2];
  s.in_channels = (int)p[3];
  s.out_height = (int)p[4];
  s.out_width = (int)p[5];
  s.out_channels = (int)p[6];
  s.filter_height = (int)p[7];
  s.filter_width = (int)p[8];
  s.stride_height = (int)p[9];
  s.stride_width = (int)p[10];
  s.pad_top = (int)p[11];
  s.pad_left = (int)p[12];
  s.dilation_height = (int)p[13];
  s.dilation_width = (int)p[14];
  for (int64_t v : p)
    if (v < 0) throw ArgumentError{"convolution parameters must not be negative"};
  if (s.stride_height < 1 || s.stride_width < 1 || s.dilation_height < 1 || s.dilation_width < 1)
    throw ArgumentError{"strides and dilations must be at least 1"};
  return s;
}

int64_t input_size(const ConvShape& s) { return (int64_t)s.batch * s.in_height * s.in_width * s.in_channels; }
int64_t output_size(const ConvShape& s) { return (int64_t)s.batch * s.out_height * s.out_width * s.out_channels; }
int64_t filter_size(const ConvShape& s) { return (int64_t)s.filter_height * s.filter_width * s.in_channels * s.out_channels; }

template <typename F>
napi_value guarded(napi_env env, F&& f) {
  try {
    return f();
  } catch (const ArgumentError& error) {
    napi_throw_error(env, nullptr, error.message.c_str());
  } catch (const std::exception& error) {
    napi_throw_error(env, nullptr, error.what());
  }
  return nullptr;
}

napi_value undefined(napi_env env) {
  napi_value value;
  napi_get_undefined(env, &value);
  return value;
}

// threads(count?) -> the thread count after the optional change.
napi_value Threads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    size_t count = 1;
    napi_value arg;
    napi_get_cb_info(env, info, &count, &arg, nullptr, nullptr);
    if (count >= 1) {
      napi_valuetype type;
      napi_typeof(env, arg, &type);
      if (type == napi_number) {
        int64_t threads = 1;
        napi_get_value_int64(env, arg, &threads);
        if (threads < 1 || threads > 256) throw ArgumentError{"thread count must be in [1, 256]"};
        set_thread_count((int)threads);
      }
    }
    napi_value result;
    napi_create_int32(env, thread_count(), &result);
    return result;
  });
}

// The three convolutions share one binding: (first input, second input, output, params), with each
// array's required size following from the shape.
enum class ConvKind { Forward, BackpropInput, BackpropFilter };

napi_value Convolution(napi_env env, napi_callback_info info, ConvKind kind) {
  return guarded(env, [&] {
    Call call(env, info, 4);
    const ConvShape s = conv_shape(call.integers(3));
    if (kind != ConvKind::Forward && (s.dilation_height != 1 || s.dilation_width != 1))
      throw ArgumentError{"backprop with dilation is not supported"};
    const int64_t x = input_size(s), y = output_size(s), w = filter_size(s);
    if (kind == ConvKind::Forward)
      conv2d_forward(call.floats(0, x, "x"), call.floats(1, w, "filter"), call.floats(2, y, "y"), s);
    else if (kind == ConvKind::BackpropInput)
      conv2d_backprop_input(call.floats(0, y, "dy"), call.floats(1, w, "filter"), call.floats(2, x, "dx"), s);
    else
      conv2d_backprop_filter(call.floats(0, x, "x"), call.floats(1, y, "dy"), call.floats(2, w, "dw"), s);
    return undefined(env);
  });
}

// conv2d(x, w, y, params), conv2dBackpropInput(dy, w, dx, params), conv2dBackpropFilter(x, dy, dw, params)
napi_value Conv2D(napi_env env, napi_callback_info info) { return Convolution(env, info, ConvKind::Forward); }
napi_value Conv2DBackpropInput(napi_env env, napi_callback_info info) { return Convolution(env, info, ConvKind::BackpropInput); }
napi_value Conv2DBackpropFilter(napi_env env, napi_callback_info info) { return Convolution(env, info, ConvKind::BackpropFilter); }

// The grouped convolutions: (first input, second input, output, params of one group, groups), where
// the tensors hold `groups` groups back to back (filters [groups, kh, kw, ci, co]).
napi_value GroupedConvolution(napi_env env, napi_callback_info info, ConvKind kind) {
  return guarded(env, [&] {
    Call call(env, info, 5);
    const ConvShape s = conv_shape(call.integers(3));
    const int64_t groups = call.integer(4);
    if (groups < 1) throw ArgumentError{"groups must be at least 1"};
    if (kind != ConvKind::Forward && (s.dilation_height != 1 || s.dilation_width != 1))
      throw ArgumentError{"backprop with dilation is not supported"};
    const int64_t x = groups * input_size(s), y = groups * output_size(s), w = groups * filter_size(s);
    if (kind == ConvKind::Forward)
      grouped_conv2d_forward(call.floats(0, x, "x"), call.floats(1, w, "filter"), call.floats(2, y, "y"), s, (int)groups);
    else if (kind == ConvKind::BackpropInput)
      grouped_conv2d_backprop_input(call.floats(0, y, "dy"), call.floats(1, w, "filter"), call.floats(2, x, "dx"), s, (int)groups);
    else
      grouped_conv2d_backprop_filter(call.floats(0, x, "x"), call.floats(1, y, "dy"), call.floats(2, w, "dw"), s, (int)groups);
    return undefined(env);
  });
}

napi_value GroupedConv2D(napi_env env, napi_callback_info info) { return GroupedConvolution(env, info, ConvKind::Forward); }
napi_value GroupedConv2DBackpropInput(napi_env env, napi_callback_info info) {
  return GroupedConvolution(env, info, ConvKind::BackpropInput);
}
napi_value GroupedConv2DBackpropFilter(napi_env env, napi_callback_info info) {
  return GroupedConvolution(env, info, ConvKind::BackpropFilter);
}

BatchNormShape batch_norm_shape(Call& call, size_t params_index) {
  const auto p = call.integers(params_index);
  if (p.size() != 3 || p[0] < 1 || p[1] < 1 || p[2] < 1) throw ArgumentError{"batch norm parameters must be [groups, rows, channels], all positive"};
  return {p[0], p[1], p[2], (float)call.number(params_index + 1), call.boolean(params_index + 2)};
}

// batchNorm(x, residual | null, gamma, beta, y, mean, variance, [groups, rows, channels], epsilon, relu)
napi_value BatchNorm(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 10);
    const BatchNormShape s = batch_norm_shape(call, 7);
    const int64_t size = s.groups * s.rows * s.channels, stats = s.groups * s.channels;
    const float* residual = call.is_null(1) ? nullptr : call.floats(1, size, "residual");
    batch_norm_forward(call.floats(0, size, "x"), residual, call.floats(2, stats, "gamma"), call.floats(3, stats, "beta"), call.floats(4, size, "y"),
                       call.floats(5, stats, "mean"), call.floats(6, stats, "variance"), s);
    return undefined(env);
  });
}

// batchNormGrad(dy, x, y | null, beta | null, gamma, mean, variance, dx, dresidual | null, dgamma, dbeta, [groups, rows, channels],
//               epsilon, relu): with dresidual (a residual merge) the ReLU mask comes from y, else from x, gamma and beta.
napi_value BatchNormGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 14);
    const BatchNormShape s = batch_norm_shape(call, 11);
    const int64_t size = s.groups * s.rows * s.channels, stats = s.groups * s.channels;
    const bool residual = !call.is_null(8);
    if (s.relu && residual && call.is_null(2)) throw ArgumentError{"batchNormGrad with relu and a residual needs y (for the mask)"};
    if (s.relu && !residual && call.is_null(3)) throw ArgumentError{"batchNormGrad with relu needs beta (for the mask)"};
    const float* y = call.is_null(2) ? nullptr : call.floats(2, size, "y");
    const float* beta = call.is_null(3) ? nullptr : call.floats(3, stats, "beta");
    float* dresidual = residual ? call.floats(8, size, "dresidual") : nullptr;
    batch_norm_backward(call.floats(0, size, "dy"), call.floats(1, size, "x"), y, beta, call.floats(4, stats, "gamma"), call.floats(5, stats, "mean"),
                        call.floats(6, stats, "variance"), call.floats(7, size, "dx"), dresidual, call.floats(9, stats, "dgamma"),
                        call.floats(10, stats, "dbeta"), s);
    return undefined(env);
  });
}

GroupNormShape group_norm_shape(Call& call, size_t params_index) {
  const auto p = call.integers(params_index);
  if (p.size() != 5 || p[0] < 1 || p[1] < 1 || p[2] < 1 || p[3] < 1 || p[4] < 1 || p[2] % p[3] != 0 || p[0] % p[4] != 0)
    throw ArgumentError{"group norm parameters must be [samples, rows, channels, groups, replicas], all positive, groups dividing channels, replicas dividing samples"};
  return {p[0], p[1], p[2], p[3], p[4], (float)call.number(params_index + 1), call.boolean(params_index + 2)};
}

// groupNorm(x, gamma, beta, y, mean, variance, [samples, rows, channels, groups, replicas], epsilon, relu)
napi_value GroupNorm(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 9);
    const GroupNormShape s = group_norm_shape(call, 6);
    const int64_t size = s.samples * s.rows * s.channels, affine = s.replicas * s.channels, stats = s.samples * s.groups;
    group_norm_forward(call.floats(0, size, "x"), call.floats(1, affine, "gamma"), call.floats(2, affine, "beta"), call.floats(3, size, "y"),
                       call.floats(4, stats, "mean"), call.floats(5, stats, "variance"), s);
    return undefined(env);
  });
}

// groupNormGrad(dy, x, y | null, gamma, mean, variance, dx, dgamma, dbeta, [samples, rows, channels, groups, replicas], epsilon, relu)
napi_value GroupNormGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 12);
    const GroupNormShape s = group_norm_shape(call, 9);
    const int64_t size = s.samples * s.rows * s.channels, affine = s.replicas * s.channels, stats = s.samples * s.groups;
    if (s.relu && call.is_null(2)) throw ArgumentError{"groupNormGrad with relu needs the forward output y"};
    const float* y = call.is_null(2) ? nullptr : call.floats(2, size, "y");
    group_norm_backward(call.floats(0, size, "dy"), call.floats(1, size, "x"), y, call.floats(3, affine, "gamma"), call.floats(4, stats, "mean"),
                        call.floats(5, stats, "variance"), call.floats(6, size, "dx"), call.floats(7, affine, "dgamma"), call.floats(8, affine, "dbeta"), s);
    return undefined(env);
  });
}

// biasActivation(y, bias | null, channels, activation)
napi_value BiasActivation(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 4);
    const int64_t channels = call.integer(2);
    const int64_t activation = call.integer(3);
    if (channels < 1) throw ArgumentError{"channels must be positive"};
    float* y = call.floats(0, -1, "y");
    const int64_t size = call.length(0);
    if (size % channels != 0) throw ArgumentError{"y size is not a multiple of channels"};
    const float* bias = call.is_null(1) ? nullptr : call.floats(1, channels, "bias");
    bias_activation(y, size / channels, (int)channels, bias, (int)activation);
    return undefined(env);
  });
}

// binary(op, a, aShape, b, bShape, out, outShape)
napi_value Binary(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 7);
    const int64_t op = call.integer(0);
    if (op < 0 || op > 9) throw ArgumentError{"unknown binary op"};
    const auto a_shape = call.integers(2), b_shape = call.integers(4), out_shape = call.integers(6);
    if (out_shape.size() > 8 || a_shape.size() > out_shape.size() || b_shape.size() > out_shape.size())
      throw ArgumentError{"binary: unsupported ranks"};
    for (size_t i = 0; i < out_shape.size(); i++) {
      const int64_t o = out_shape[out_shape.size() - 1 - i];
      if (i < a_shape.size() && a_shape[a_shape.size() - 1 - i] != o && a_shape[a_shape.size() - 1 - i] != 1)
        throw ArgumentError{"binary: a does not broadcast to the output"};
      if (i < b_shape.size() && b_shape[b_shape.size() - 1 - i] != o && b_shape[b_shape.size() - 1 - i] != 1)
        throw ArgumentError{"binary: b does not broadcast to the output"};
    }
    const float* a = call.floats(1, product(a_shape), "a");
    const float* b = call.floats(3, product(b_shape), "b");
    float* out = call.floats(5, product(out_shape), "out");
    binary(static_cast<BinaryOp>(op), a, a_shape, b, b_shape, out, out_shape);
    return undefined(env);
  });
}

// unary(op, x, out, alpha)
napi_value Unary(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 4);
    const int64_t op = call.integer(0);
    if (op < 0 || op > 8) throw ArgumentError{"unknown unary op"};
    const float* x = call.floats(1, -1, "x");
    const int64_t size = call.length(1);
    float* out = call.floats(2, size, "out");
    unary(static_cast<UnaryOp>(op), x, out, size, (float)call.number(3));
    return undefined(env);
  });
}

// addN(inputs, out)
napi_value AddN(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 2);
    float* out = call.floats(1, -1, "out");
    const int64_t size = call.length(1);
    auto arrays = call.float_arrays(0, size);
    if (arrays.empty()) throw ArgumentError{"addN needs at least one input"};
    add_n(std::vector<const float*>(arrays.begin(), arrays.end()), out, size);
    return undefined(env);
  });
}

// replicaAxpy(base, g, factor, out): out[r, j] = base[j] + g[r, j] * factor[r] (r < factor.length, j < base.length).
napi_value ReplicaAxpy(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 4);
    const int64_t size = call.length(0), replicas = call.length(2);
    replica_axpy(call.floats(0, size, "base"), call.floats(1, replicas * size, "g"), call.floats(2, replicas, "factor"), replicas, size,
                 call.floats(3, replicas * size, "out"));
    return undefined(env);
  });
}

// reduceSum(x, y | null, shape, axes, out, mean): sums x, or the products x * y (same shape).
napi_value ReduceSum(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 6);
    const auto shape = call.integers(2);
    const auto axes = call.integers(3);
    std::vector<bool> reduced(shape.size(), false);
    int64_t out_size = 1;
    for (int64_t axis : axes) {
      if (axis < 0 || axis >= (int64_t)shape.size()) throw ArgumentError{"reduceSum: axis out of range"};
      reduced[axis] = true;
    }
    for (size_t i = 0; i < shape.size(); i++)
      if (!reduced[i]) out_size *= shape[i];
    const float* x = call.floats(0, product(shape), "x");
    const float* y = call.is_null(1) ? nullptr : call.floats(1, product(shape), "y");
    float* out = call.floats(4, out_size, "out");
    reduce_sum(x, y, shape, reduced, out, call.boolean(5));
    return undefined(env);
  });
}

napi_value Init(napi_env env, napi_value exports) {
  struct Entry {
    const char* name;
    napi_callback callback;
  } entries[] = {
      {"threads", Threads}, {"conv2d", Conv2D}, {"conv2dBackpropInput", Conv2DBackpropInput},
      {"conv2dBackpropFilter", Conv2DBackpropFilter}, {"biasActivation", BiasActivation}, {"binary", Binary},
      {"unary", Unary}, {"addN", AddN}, {"replicaAxpy", ReplicaAxpy}, {"reduceSum", ReduceSum},
      {"groupedConv2d", GroupedConv2D}, {"groupedConv2dBackpropInput", GroupedConv2DBackpropInput},
      {"groupedConv2dBackpropFilter", GroupedConv2DBackpropFilter},
      {"batchNorm", BatchNorm}, {"batchNormGrad", BatchNormGrad},
      {"groupNorm", GroupNorm}, {"groupNormGrad", GroupNormGrad},
  };
  for (const Entry& entry : entries) {
    napi_value fn;
    napi_create_function(env, entry.name, NAPI_AUTO_LENGTH, entry.callback, nullptr, &fn);
    napi_set_named_property(env, exports, entry.name, fn);
  }
  napi_value lanes;
  napi_create_int32(env, kLanes, &lanes);
  napi_set_named_property(env, exports, "vectorLanes", lanes);
  return exports;
}

}  // namespace
}  // namespace samnative

NAPI_MODULE(NODE_GYP_MODULE_NAME, samnative::Init)
