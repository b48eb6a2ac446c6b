import * as tf from "@tensorflow/tfjs";
import { NATIVE_BACKEND_NAME, type NativeBackend } from "./native-backend.js";
import { conv2dInfo, convParams, float32Of, type ConvAttrs } from "./native-kernels.js";

/**
 * Grouped-weights Conv2D, the convolution of m-SAM in two passes: x [k*m, h, w, ci] is k consecutive
 * groups of m images and filter [k, fh, fw, ci, co] holds one filter per group,
 *   y[g*m + n] = conv2d(x[g*m + n], filter[g]),   g < k, n < m.
 * Native kernel with its gradient (GroupedConv2DBackpropInput / ...BackpropFilter, each in its own file).
 */
export const GROUPED_CONV2D = "SamReproGroupedConv2D";
export const GROUPED_CONV2D_BACKPROP_INPUT = "SamReproGroupedConv2DBackpropInput";
export const GROUPED_CONV2D_BACKPROP_FILTER = "SamReproGroupedConv2DBackpropFilter";

/** Strides and padding as tf.conv2d takes them (NHWC, no dilation). */
export interface GroupedConv2DAttrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number;
}

export interface KernelArgs {
  inputs: Record<string, tf.TensorInfo>;
  backend: NativeBackend;
  attrs?: Record<string, unknown>;
}

/** The convolution of one group (batch m) and the group count k for x [k*m, ...] and filter [k, ...]. */
export function groupShape(xShape: readonly number[], filterShape: readonly number[], attrs: GroupedConv2DAttrs): { info: tf.backend_util.Conv2DInfo; groups: number } {
  if (xShape.length !== 4 || filterShape.length !== 5) {
    throw new Error(`groupedConv2d: x must be [k*m, h, w, ci] and filter [k, fh, fw, ci, co], got [${xShape.join(", ")}] and [${filterShape.join(", ")}]`);
  }
  const groups = filterShape[0]!;
  if (groups < 1 || xShape[0]! % groups !== 0) throw new Error(`groupedConv2d: batch ${xShape[0]} does not split into ${groups} groups`);
  const info = conv2dInfo([xShape[0]! / groups, ...xShape.slice(1)], filterShape.slice(1), attrs as ConvAttrs);
  return { info, groups };
}

function forward({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const { info, groups } = groupShape(x.shape, filter.shape, attrs as unknown as GroupedConv2DAttrs);
  const out = backend.allocate([x.shape[0]!, info.outHeight, info.outWidth, info.outChannels]);
  backend.kernels.groupedConv2d(float32Of(backend, x), float32Of(backend, filter), out.values, convParams(info), groups);
  return out.info;
}

/** Registers the forward kernel on the native backend and its gradient (dx and d filter kernels). */
export function registerGroupedConv2D(): void {
  tf.registerKernel({ kernelName: GROUPED_CONV2D, backendName: NATIVE_BACKEND_NAME, kernelFunc: forward as unknown as tf.KernelFunc });
  tf.registerGradient({
    kernelName: GROUPED_CONV2D,
    inputsToSave: ["x", "filter"],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as tf.Tensor[];
      const run = (name: string, inputs: tf.NamedTensorMap, extra: Record<string, unknown>) =>
        tf.engine().runKernel(name, inputs, { ...attrs, ...extra } as unknown as tf.NamedAttrMap) as tf.Tensor;
      return {
        x: () => run(GROUPED_CONV2D_BACKPROP_INPUT, { dy: dy as tf.Tensor, filter: filter! }, { inputShape: x!.shape }),
        filter: () => run(GROUPED_CONV2D_BACKPROP_FILTER, { x: x!, dy: dy as tf.Tensor }, { filterShape: filter!.shape }),
      };
    },
  });
}
