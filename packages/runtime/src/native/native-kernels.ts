import * as tf from "@tensorflow/tfjs";
import { NATIVE_BACKEND_NAME, NativeBackend } from "./native-backend.js";

type Attrs = Record<string, unknown>;
type Inputs = Record<string, tf.TensorInfo>;
interface KernelArgs {
  inputs: Inputs;
  backend: NativeBackend;
  attrs?: Attrs;
}
type KernelFunction = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/** Op codes shared with native/src/elementwise.h. */
const BINARY_OPS: Record<string, number> = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  Maximum: 4,
  Minimum: 5,
  SquaredDifference: 6,
};
/** Native-only binary ops behind the fused gradient kernels (native-gradients.ts). */
export const FUSED_BINARY_OPS = { First: 7, ReluGrad: 8, SquareGrad: 9 } as const;
const UNARY_OPS: Record<string, number> = {
  Relu: 0,
  Step: 1,
  Neg: 2,
  Square: 3,
  Sqrt: 4,
  Rsqrt: 5,
  Abs: 6,
  Reciprocal: 7,
  Relu6: 8,
};

function allFloat32(...infos: (tf.TensorInfo | undefined)[]): boolean {
  return infos.every((info) => info == null || info.dtype === "float32");
}

/** The float32 values of a tensor on the native backend, in place (kernels read and write them directly). */
export function float32Of(backend: NativeBackend, info: tf.TensorInfo): Float32Array {
  const values = backend.valuesOf(info);
  if (values instanceof Float32Array) return values;
  // Some cpu kernels (casts, tensors made from plain arrays) leave a float32 tensor's values in another
  // array type; the addon reads Float32Array only, so convert once and keep the converted copy.
  const converted = Float32Array.from(values as ArrayLike<number>);
  backend.replaceValues(info, converted);
  return converted;
}

export type ConvAttrs = {
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat?: "NHWC" | "NCHW";
  dilations?: number | [number, number];
  dimRoundingMode?: "floor" | "round" | "ceil";
};

/** The 15 convolution parameters the addon takes (see NativeKernels.conv2d). */
export function convParams(info: tf.backend_util.Conv2DInfo): number[] {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
    info.dilationHeight,
    info.dilationWidth,
  ];
}

/** tfjs's convolution geometry for NHWC x and an [fh, fw, ci, co] filter. */
export function conv2dInfo(xShape: number[], filterShape: number[], attrs: ConvAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
}

/**
 * The native kernels. Each returns null when its inputs are outside what the addon handles (other
 * dtypes, NCHW), and the cpu kernel runs instead.
 */
function nativeKernels(cpu: (name: string) => KernelFunction): Record<string, (args: KernelArgs) => tf.TensorInfo | null> {
  const conv2d = ({ inputs, backend, attrs }: KernelArgs) => {
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const convAttrs = attrs as ConvAttrs;
    if (!allFloat32(x, filter) || (convAttrs.dataFormat ?? "NHWC") !== "NHWC") return null;
    const info = conv2dInfo(x.shape, filter.shape, convAttrs);
    const out = backend.allocate(info.outShape);
    backend.kernels.conv2d(float32Of(backend, x), float32Of(backend, filter), out.values, convParams(info));
    return out.info;
  };

  const binary = (name: string) => ({ inputs, backend }: KernelArgs) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (!allFloat32(a, b)) return null;
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = backend.allocate(shape);
    backend.kernels.binary(BINARY_OPS[name]!, float32Of(backend, a), a.shape, float32Of(backend, b), b.shape, out.values, shape);
    return out.info;
  };

  const unary = (name: string) => ({ inputs, backend, attrs }: KernelArgs) => {
    const { x } = inputs as { x: tf.TensorInfo };
    if (!allFloat32(x)) return null;
    const out = backend.allocate(x.shape);
    const alpha = name === "Step" ? Number((attrs as { alpha?: number }).alpha ?? 0) : 0;
    backend.kernels.unary(UNARY_OPS[name]!, float32Of(backend, x), out.values, alpha);
    return out.info;
  };

  const reduce = (mean: boolean) => ({ inputs, backend, attrs }: KernelArgs) => {
    const { x } = inputs as { x: tf.TensorInfo };
    if (!allFloat32(x)) return null;
    const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape);
    let [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
    if (keepDims) outShape = tf.backend_util.expandShapeToKeepDim(outShape, axes);
    const out = backend.allocate(outShape);
    backend.kernels.reduceSum(float32Of(backend, x), null, x.shape, axes, out.values, mean);
    return out.info;
  };

  const kernels: Record<string, (args: KernelArgs) => tf.TensorInfo | null> = {
    Conv2D: conv2d,

    Conv2DBackpropInput: ({ inputs, backend, attrs }) => {
      const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const convAttrs = attrs as ConvAttrs & { inputShape: number[] };
      if (!allFloat32(dy, filter) || (convAttrs.dataFormat ?? "NHWC") !== "NHWC") return null;
      const info = conv2dInfo(convAttrs.inputShape, filter.shape, { ...convAttrs, dilations: 1 });
      const out = backend.allocate(convAttrs.inputShape);
      backend.kernels.conv2dBackpropInput(float32Of(backend, dy), float32Of(backend, filter), out.values, convParams(info));
      return out.info;
    },

    Conv2DBackpropFilter: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const convAttrs = attrs as ConvAttrs & { filterShape: number[] };
      if (!allFloat32(x, dy) || (convAttrs.dataFormat ?? "NHWC") !== "NHWC") return null;
      const info = conv2dInfo(x.shape, convAttrs.filterShape, { ...convAttrs, dilations: 1 });
      const out = backend.allocate(convAttrs.filterShape);
      backend.kernels.conv2dBackpropFilter(float32Of(backend, x), float32Of(backend, dy), out.values, convParams(info));
      return out.info;
    },

    FusedConv2D: (args) => {
      const { inputs, backend, attrs } = args;
      const { bias, preluActivationWeights } = inputs as { bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
      const { activation, leakyreluAlpha } = attrs as { activation: string; leakyreluAlpha?: number };
      if (!allFloat32(bias, preluActivationWeights)) return null;
      const convolved = conv2d(args);
      if (!convolved) return null;
      const channels = convolved.shape[3]!;
      const values = float32Of(backend, convolved);
      const simpleBias = bias == null || tf.util.sizeFromShape(bias.shape) === channels;
      const simpleActivation = activation === "linear" || activation === "relu";
      if (simpleBias && simpleActivation) {
        backend.kernels.biasActivation(values, bias ? float32Of(backend, bias) : null, channels, activation === "relu" ? 1 : 0);
        return convolved;
      }
      // Uncommon fusions: bias by broadcasting, then the activation's own kernel.
      let result = convolved;
      if (bias) {
        const added = kernels.Add!({ inputs: { a: result, b: bias }, backend })!;
        backend.disposeIntermediateTensorInfo(result);
        result = added;
      }
      if (activation !== "linear") {
        const name = { relu: "Relu", relu6: "Relu6", elu: "Elu", sigmoid: "Sigmoid", leakyrelu: "LeakyRelu", prelu: "Prelu" }[activation];
        if (!name) throw new Error(`FusedConv2D: unknown activation ${activation}`);
        const activationInputs: Inputs = name === "Prelu" ? { x: result, alpha: preluActivationWeights! } : { x: result };
        const activated = (kernels[name] ?? cpu(name))({ inputs: activationInputs, backend, attrs: { alpha: leakyreluAlpha } }) as tf.TensorInfo;
        backend.disposeIntermediateTensorInfo(result);
        result = activated;
      }
      return result;
    },

    AddN: ({ inputs, backend }) => {
      const tensors = Object.values(inputs);
      if (!allFloat32(...tensors)) return null;
      const out = backend.allocate(tensors[0]!.shape);
      backend.kernels.addN(tensors.map((t) => float32Of(backend, t)), out.values);
      return out.info;
    },

    Sum: reduce(false),
    Mean: reduce(true),
  };
  for (const name of Object.keys(BINARY_OPS)) kernels[name] = binary(name);
  for (const name of Object.keys(UNARY_OPS)) kernels[name] = unary(name);
  return kernels;
}

/**
 * A cpu kernel run on the native backend. Some cpu kernels return views of their inputs (Slice of a
 * contiguous block): a new tensor entry over a pooled buffer, which then has two owners and must never
 * be recycled. (Reshape and Identity return the input's own entry, which is fine.)
 */
function guardedFallback(kernelFunc: KernelFunction): KernelFunction {
  return (args) => {
    const result = kernelFunc(args);
    const outputs = Array.isArray(result) ? result : [result];
    const inputIds = new Set(Object.values(args.inputs).map((input) => input.dataId));
    for (const output of outputs) {
      if (inputIds.has(output.dataId) || !args.backend.data.has(output.dataId)) continue;
      const values = args.backend.valuesOf(output);
      if (ArrayBuffer.isView(values) && args.backend.pool.isOwned(values.buffer)) args.backend.pool.disown(values.buffer);
    }
    return result;
  };
}

let registered = false;

/**
 * Registers, for the native backend, every kernel tfjs's cpu backend has: the ones the addon
 * implements (convolutions and their gradients, broadcasting arithmetic, common unary ops, sums and
 * means, AddN) run natively for float32, everything else runs the cpu kernel on the same arrays.
 */
export function registerNativeKernels(): void {
  if (registered) return;
  registered = true;
  const cpuConfigs = tf.getKernelsForBackend("cpu");
  const cpuByName = new Map(cpuConfigs.map((config) => [config.kernelName, config.kernelFunc as unknown as KernelFunction]));
  const cpu = (name: string): KernelFunction => {
    const kernel = cpuByName.get(name);
    if (!kernel) throw new Error(`cpu backend lacks kernel ${name}`);
    return guardedFallback(kernel);
  };
  const native = nativeKernels(cpu);
  for (const config of cpuConfigs) {
    const fallback = guardedFallback(config.kernelFunc as unknown as KernelFunction);
    const nativeKernel = native[config.kernelName];
    const kernelFunc: KernelFunction = nativeKernel ? (args) => nativeKernel(args) ?? fallback(args) : fallback;
    tf.registerKernel({ ...config, backendName: NATIVE_BACKEND_NAME, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}
