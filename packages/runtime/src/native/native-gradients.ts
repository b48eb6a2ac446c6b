import * as tf from "@tensorflow/tfjs";
import { FUSED_BINARY_OPS, float32Of } from "./native-kernels.js";
import { NATIVE_BACKEND_NAME, type NativeBackend } from "./native-backend.js";

/**
 * Cheaper gradients on the native backend, each equal element for element to tfjs's own:
 * - Mean, Sum: dx = broadcast(dy / n) (tfjs: (dy * ones(x.shape)) / n, three passes and a fill);
 * - Relu: dx = dy * step(x) and Square: dx = dy * (2 x) in one pass (tfjs: two);
 * - Multiply with a broadcast operand (BatchNorm's scale): d scale = sum(dy * x) in one pass that never
 *   stores the product (tfjs: store dy * x, then sum it).
 * The fused ops are kernels of their own with gradients in standard ops, so second derivatives
 * (Hessian-vector products) still work. On other backends tfjs's gradients run unchanged.
 */
export const FUSED_KERNEL_NAMES = {
  broadcastTo: "SamReproBroadcastTo",
  reluGrad: "SamReproReluGrad",
  squareGrad: "SamReproSquareGrad",
  multiplySum: "SamReproMultiplySum",
  replicaAxpy: "SamReproReplicaAxpy",
} as const;

type Attrs = Record<string, unknown>;
interface KernelArgs {
  inputs: Record<string, tf.TensorInfo>;
  backend: NativeBackend;
  attrs?: Attrs;
}

function run(kernelName: string, inputs: Record<string, tf.Tensor>, attrs: Attrs = {}): tf.Tensor {
  return tf.engine().runKernel(kernelName, inputs as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
}

function registerFusedKernels(): void {
  const kernel = (kernelName: string, kernelFunc: (args: KernelArgs) => tf.TensorInfo) =>
    tf.registerKernel({ kernelName, backendName: NATIVE_BACKEND_NAME, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  const pointwise = (op: number) => ({ inputs, backend }: KernelArgs) => {
    const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
    const out = backend.allocate(dy.shape);
    backend.kernels.binary(op, float32Of(backend, dy), dy.shape, float32Of(backend, x), x.shape, out.values, dy.shape);
    return out.info;
  };
  kernel(FUSED_KERNEL_NAMES.broadcastTo, ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const shape = (attrs as { shape: number[] }).shape;
    const out = backend.allocate(shape);
    const values = float32Of(backend, x);
    backend.kernels.binary(FUSED_BINARY_OPS.First, values, x.shape, values, x.shape, out.values, shape);
    return out.info;
  });
  kernel(FUSED_KERNEL_NAMES.reluGrad, pointwise(FUSED_BINARY_OPS.ReluGrad));
  kernel(FUSED_KERNEL_NAMES.squareGrad, pointwise(FUSED_BINARY_OPS.SquareGrad));
  kernel(FUSED_KERNEL_NAMES.multiplySum, ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { axes, outShape } = attrs as { axes: number[]; outShape: number[] };
    const out = backend.allocate(outShape);
    backend.kernels.reduceSum(float32Of(backend, a), float32Of(backend, b), a.shape, axes, out.values, false);
    return out.info;
  });

  // base [...] + g [k, ...] * factor [k] per replica (@sam-repro/sam grouped m-SAM's perturbed weights; equal to
  // tfjs's Multiply then Add bit for bit). Used outside gradients: it has none.
  kernel(FUSED_KERNEL_NAMES.replicaAxpy, ({ inputs, backend }) => {
    const { base, g, factor } = inputs as { base: tf.TensorInfo; g: tf.TensorInfo; factor: tf.TensorInfo };
    const out = backend.allocate(g.shape);
    backend.kernels.replicaAxpy(float32Of(backend, base), float32Of(backend, g), float32Of(backend, factor), out.values);
    return out.info;
  });

  // Gradients of the fused kernels, in standard ops (for higher-order derivatives).
  tf.registerGradient({
    kernelName: FUSED_KERNEL_NAMES.broadcastTo,
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => {
      const [x] = saved as tf.Tensor[];
      const axes = tf.backend_util.getReductionAxes(x!.shape, (dy as tf.Tensor).shape);
      return { x: () => tf.reshape(axes.length > 0 ? tf.sum(dy as tf.Tensor, axes) : (dy as tf.Tensor), x!.shape) };
    },
  });
  tf.registerGradient({
    kernelName: FUSED_KERNEL_NAMES.reluGrad,
    inputsToSave: ["x"],
    gradFunc: (g, saved) => {
      const [x] = saved as tf.Tensor[];
      return { dy: () => run(FUSED_KERNEL_NAMES.reluGrad, { dy: g as tf.Tensor, x: x! }), x: () => tf.zerosLike(x!) };
    },
  });
  tf.registerGradient({
    kernelName: FUSED_KERNEL_NAMES.squareGrad,
    inputsToSave: ["dy", "x"],
    gradFunc: (g, saved) => {
      const [dy, x] = saved as tf.Tensor[];
      return {
        dy: () => run(FUSED_KERNEL_NAMES.squareGrad, { dy: g as tf.Tensor, x: x! }),
        x: () => tf.mul(tf.mul(g as tf.Tensor, dy!), 2),
      };
    },
  });
  tf.registerGradient({
    kernelName: FUSED_KERNEL_NAMES.multiplySum,
    inputsToSave: ["a", "b"],
    gradFunc: (g, saved, attrs) => {
      const [a, b] = saved as tf.Tensor[];
      const { axes } = attrs as unknown as { axes: number[] };
      const keptShape = a!.shape.map((size, axis) => (axes.includes(axis) ? 1 : size));
      const spread = () => tf.broadcastTo(tf.reshape(g as tf.Tensor, keptShape), a!.shape);
      return { a: () => tf.mul(spread(), b!), b: () => tf.mul(spread(), a!) };
    },
  });
}

function onNative(): boolean {
  return tf.getBackend() === NATIVE_BACKEND_NAME;
}

function isFloat(...tensors: tf.Tensor[]): boolean {
  return tensors.every((t) => t.dtype === "float32");
}

/** Replaces kernelName's gradient by `fused` on the native backend; elsewhere the original runs. */
function overrideGradient(kernelName: string, fused: (dy: tf.Tensor, saved: tf.Tensor[], attrs: Attrs) => Record<string, () => tf.Tensor> | null): void {
  const original = tf.getGradient(kernelName);
  if (!original) throw new Error(`tfjs has no gradient for ${kernelName}`);
  tf.registerGradient({
    ...original,
    gradFunc: (dy, saved, attrs) =>
      (onNative() ? fused(dy as tf.Tensor, saved as tf.Tensor[], attrs as Attrs) : null) ?? original.gradFunc(dy, saved, attrs),
  });
}

function expandedShape(x: tf.Tensor, axis: unknown): { shape: number[]; axes: number[] } {
  const axes = tf.util.parseAxisParam(axis as number | number[], x.shape);
  return { shape: x.shape.map((size, i) => (axes.includes(i) ? 1 : size)), axes };
}

let registered = false;

/** Registers the fused gradient kernels and the native-only gradient overrides (once). */
export function registerNativeGradients(): void {
  if (registered) return;
  registered = true;
  registerFusedKernels();

  overrideGradient("Mean", (dy, [x], attrs) => {
    if (!isFloat(dy)) return null;
    const { shape, axes } = expandedShape(x!, attrs.axis);
    const count = axes.reduce((product, axis) => product * x!.shape[axis]!, 1);
    return { x: () => run(FUSED_KERNEL_NAMES.broadcastTo, { x: tf.div(tf.reshape(dy, shape), count) }, { shape: x!.shape }) };
  });
  overrideGradient("Sum", (dy, [x], attrs) => {
    if (!isFloat(dy)) return null;
    const { shape } = expandedShape(x!, attrs.axis);
    const spread = run(FUSED_KERNEL_NAMES.broadcastTo, { x: tf.reshape(dy, shape) }, { shape: x!.shape });
    return { x: () => spread };
  });
  overrideGradient("Relu", (dy, [x]) => (isFloat(dy, x!) ? { x: () => run(FUSED_KERNEL_NAMES.reluGrad, { dy, x: x! }) } : null));
  overrideGradient("Square", (dy, [x]) => (isFloat(dy, x!) ? { x: () => run(FUSED_KERNEL_NAMES.squareGrad, { dy, x: x! }) } : null));
  overrideGradient("Multiply", (dy, [a, b]) => {
    if (!isFloat(dy, a!, b!)) return null;
    const outShape = dy.shape;
    const same = (shape: number[]) => shape.length === outShape.length && shape.every((size, i) => size === outShape[i]);
    // d operand = sum over its broadcast axes of dy * other; fused when `other` has the full shape.
    const derivative = (operand: tf.Tensor, other: tf.Tensor) => () => {
      const axes = tf.backend_util.getReductionAxes(operand.shape, outShape);
      if (axes.length === 0) return tf.mul(dy, other);
      if (!same(other.shape)) return tf.reshape(tf.sum(tf.mul(dy, other), axes), operand.shape);
      const kept = outShape.filter((_, axis) => !axes.includes(axis));
      return tf.reshape(run(FUSED_KERNEL_NAMES.multiplySum, { a: dy, b: other }, { axes, outShape: kept }), operand.shape);
    };
    return { a: derivative(a!, b!), b: derivative(b!, a!) };
  });
}
