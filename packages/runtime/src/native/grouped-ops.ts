import * as tf from "@tensorflow/tfjs";
import { GROUPED_CONV2D, type GroupedConv2DAttrs } from "./grouped-conv2d.js";
import { SHARED_FILTER_CONV2D } from "./shared-filter-conv2d.js";

/** Whether the active backend has the grouped-weights convolution kernel (the native backend does). */
export function hasGroupedConv2D(): boolean {
  return tf.getKernel(GROUPED_CONV2D, tf.getBackend()) !== undefined;
}

/**
 * Grouped-weights convolution: x [k*m, h, w, ci] is k consecutive groups of m images and filter
 * [k, fh, fw, ci, co] one filter per group; y[g*m + n] = conv2d(x[g*m + n], filter[g]) (NHWC, no
 * dilation). Differentiable in x and filter. One native kernel where the backend has it
 * (hasGroupedConv2D), else k tf.conv2d calls on slices (same values, tfjs's per-op cost k times).
 * `shared` ([fh, fw, ci, co]) says that every filter[g] equals it (m-SAM's ascent pass at w): the native backend
 * then convolves all groups with it at once (shared-filter-conv2d.ts: the same values, the filter packed once),
 * still giving each group its own filter gradient; other backends ignore it.
 */
export function groupedConv2d(
  x: tf.Tensor4D,
  filter: tf.Tensor,
  strides: GroupedConv2DAttrs["strides"],
  pad: GroupedConv2DAttrs["pad"],
  shared?: tf.Tensor4D,
): tf.Tensor4D {
  const groups = filter.shape[0]!;
  if (filter.rank !== 5 || x.shape[0] % groups !== 0) {
    throw new Error(`groupedConv2d: filter must be [k, fh, fw, ci, co] with k dividing the batch ${x.shape[0]}, got [${filter.shape.join(", ")}]`);
  }
  if (hasGroupedConv2D()) {
    const attrs: GroupedConv2DAttrs = { strides, pad };
    if (shared && tf.getKernel(SHARED_FILTER_CONV2D, tf.getBackend()) !== undefined) {
      return tf.engine().runKernel(SHARED_FILTER_CONV2D, { x, filter, shared }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    }
    return tf.engine().runKernel(GROUPED_CONV2D, { x, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  if (groups === 1) return tf.conv2d(x, tf.reshape(filter, filter.shape.slice(1) as [number, number, number, number]), strides, pad) as tf.Tensor4D;
  const images = tf.split(x, groups, 0) as tf.Tensor4D[];
  const filters = tf.unstack(filter, 0) as tf.Tensor4D[];
  return tf.concat(images.map((part, g) => tf.conv2d(part, filters[g]!, strides, pad) as tf.Tensor4D), 0);
}
