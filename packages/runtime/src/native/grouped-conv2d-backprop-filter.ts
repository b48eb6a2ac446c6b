import * as tf from "@tensorflow/tfjs";
import { NATIVE_BACKEND_NAME } from "./native-backend.js";
import { convParams, float32Of } from "./native-kernels.js";
import { GROUPED_CONV2D_BACKPROP_FILTER, groupShape, type GroupedConv2DAttrs, type KernelArgs } from "./grouped-conv2d.js";

/**
 * Filter gradient of the grouped Conv2D, one per group: dfilter[g] = sum_{n < m} conv2dBackpropFilter(x[g*m + n], dy[g*m + n]).
 * Attrs: the forward's strides and pad, and filterShape ([k, fh, fw, ci, co]). No gradient of its own.
 */
function backpropFilter({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { filterShape, ...convAttrs } = attrs as unknown as GroupedConv2DAttrs & { filterShape: number[] };
  const { info, groups } = groupShape(x.shape, filterShape, convAttrs);
  const out = backend.allocate(filterShape);
  backend.kernels.groupedConv2dBackpropFilter(float32Of(backend, x), float32Of(backend, dy), out.values, convParams(info), groups);
  return out.info;
}

export function registerGroupedConv2DBackpropFilter(): void {
  tf.registerKernel({ kernelName: GROUPED_CONV2D_BACKPROP_FILTER, backendName: NATIVE_BACKEND_NAME, kernelFunc: backpropFilter as unknown as tf.KernelFunc });
}
