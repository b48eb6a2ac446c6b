import * as tf from "@tensorflow/tfjs";
import { NATIVE_BACKEND_NAME } from "./native-backend.js";
import { convParams, float32Of } from "./native-kernels.js";
import { GROUPED_CONV2D_BACKPROP_INPUT, groupShape, type GroupedConv2DAttrs, type KernelArgs } from "./grouped-conv2d.js";

/**
 * Input gradient of the grouped Conv2D: dx[g*m + n] = conv2dBackpropInput(dy[g*m + n], filter[g]).
 * Attrs: the forward's strides and pad, and inputShape (x's shape). No gradient of its own (m-SAM needs first derivatives only).
 */
function backpropInput({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { inputShape, ...convAttrs } = attrs as unknown as GroupedConv2DAttrs & { inputShape: number[] };
  const { info, groups } = groupShape(inputShape, filter.shape, convAttrs);
  const out = backend.allocate(inputShape);
  backend.kernels.groupedConv2dBackpropInput(float32Of(backend, dy), float32Of(backend, filter), out.values, convParams(info), groups);
  return out.info;
}

export function registerGroupedConv2DBackpropInput(): void {
  tf.registerKernel({ kernelName: GROUPED_CONV2D_BACKPROP_INPUT, backendName: NATIVE_BACKEND_NAME, kernelFunc: backpropInput as unknown as tf.KernelFunc });
}
