import * as tf from "@tensorflow/tfjs";
import { NATIVE_BACKEND_NAME } from "./native-backend.js";
import { conv2dInfo, convParams, float32Of, type ConvAttrs } from "./native-kernels.js";
import { GROUPED_CONV2D_BACKPROP_FILTER, groupShape, type GroupedConv2DAttrs, type KernelArgs } from "./grouped-conv2d.js";

/**
 * The grouped-weights Conv2D when every group's filter is the same tensor `shared` (m-SAM's ascent pass at w,
 * whose replicas are exact copies): y = conv2d(x, shared), one dense convolution that packs the filter once
 * instead of once per group, with the grouped filter gradient, one per group:
 *   dfilter[g] = sum_{n < m} conv2dBackpropFilter(x[g*m + n], dy[g*m + n]),  dx = conv2dBackpropInput(dy, shared).
 * Inputs x [k*m, h, w, ci], filter [k, fh, fw, ci, co] (the replicas: what gradients are taken in) and shared
 * [fh, fw, ci, co]; the values equal the grouped kernel's bit for bit (the native convolution computes an image
 * the same way wherever it falls in the batch). `shared` itself has no gradient: it stands for the replicas.
 */
export const SHARED_FILTER_CONV2D = "SamReproSharedFilterConv2D";

function forward({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, filter, shared } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; shared: tf.TensorInfo };
  groupShape(x.shape, filter.shape, attrs as unknown as GroupedConv2DAttrs);
  if (!tf.util.arraysEqual(filter.shape.slice(1), shared.shape)) {
    throw new Error(`groupedConv2d: shared filter [${shared.shape.join(", ")}] is not one of the replicas [${filter.shape.join(", ")}]`);
  }
  const info = conv2dInfo(x.shape, shared.shape, attrs as unknown as ConvAttrs);
  const out = backend.allocate([x.shape[0]!, info.outHeight, info.outWidth, info.outChannels]);
  backend.kernels.conv2d(float32Of(backend, x), float32Of(backend, shared), out.values, convParams(info));
  return out.info;
}

/** Registers the kernel on the native backend and its gradient (the dense input gradient, the grouped filter gradient). */
export function registerSharedFilterConv2D(): void {
  tf.registerKernel({ kernelName: SHARED_FILTER_CONV2D, backendName: NATIVE_BACKEND_NAME, kernelFunc: forward as unknown as tf.KernelFunc });
  tf.registerGradient({
    kernelName: SHARED_FILTER_CONV2D,
    inputsToSave: ["x", "filter", "shared"],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, shared] = saved as tf.Tensor[];
      const { strides, pad } = attrs as unknown as GroupedConv2DAttrs;
      return {
        x: () => tf.conv2dTranspose(dy as tf.Tensor4D, shared as tf.Tensor4D, x!.shape as [number, number, number, number], strides, pad),
        filter: () =>
          tf.engine().runKernel(GROUPED_CONV2D_BACKPROP_FILTER, { x: x!, dy: dy as tf.Tensor }, { strides, pad, filterShape: filter!.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        shared: () => {
          throw new Error("groupedConv2d: the shared filter stands for the replicas and has no gradient of its own; differentiate the replicated filter");
        },
      };
    },
  });
}
