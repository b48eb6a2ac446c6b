import * as tf from "@tensorflow/tfjs";
import { NATIVE_BACKEND_NAME } from "./native-backend.js";
import { float32Of } from "./native-kernels.js";
import type { KernelArgs } from "./grouped-conv2d.js";
import { FUSED_GROUP_NORM_GRAD, groupNormParams, type FusedGroupNormAttrs } from "./fused-group-norm.js";

/**
 * Backward of the fused GroupNorm (+ ReLU). Per sample n and group with M values, xhat = (x - mean) / sqrt(var + eps),
 * dz = dy * [y > 0] (relu) or dy, u = dz * gamma:
 *   dx = (u - mean_M(u) - xhat * mean_M(u * xhat)) / sqrt(var + eps);
 * per replica r and channel: dbeta = sum dz, dgamma = sum dz * xhat over the replica's samples and positions.
 * Outputs dx, dgamma [replicas, c], dbeta [replicas, c].
 */
function backward({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { dy, x, y, gamma, mean, variance } = inputs as Record<string, tf.TensorInfo>;
  const { groups, replicas, relu, epsilon } = attrs as unknown as FusedGroupNormAttrs;
  const params = groupNormParams(x!.shape, tf.util.sizeFromShape(gamma!.shape), groups, replicas);
  const dx = backend.allocate(x!.shape);
  const dgamma = backend.allocate([replicas, params[2]!]);
  const dbeta = backend.allocate([replicas, params[2]!]);
  backend.kernels.groupNormGrad(
    float32Of(backend, dy!), float32Of(backend, x!), relu ? float32Of(backend, y!) : null, float32Of(backend, gamma!),
    float32Of(backend, mean!), float32Of(backend, variance!), dx.values, dgamma.values, dbeta.values, params, epsilon, relu,
  );
  return [dx.info, dgamma.info, dbeta.info];
}

/** Registers the backward kernel of the fused GroupNorm on the native backend. */
export function registerFusedGroupNormGrad(): void {
  tf.registerKernel({ kernelName: FUSED_GROUP_NORM_GRAD, backendName: NATIVE_BACKEND_NAME, kernelFunc: backward as unknown as tf.KernelFunc });
}
