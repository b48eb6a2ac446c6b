import * as tf from "@tensorflow/tfjs";
import { NATIVE_BACKEND_NAME } from "./native-backend.js";
import { float32Of } from "./native-kernels.js";
import type { KernelArgs } from "./grouped-conv2d.js";
import { FUSED_BATCH_NORM_GRAD, batchNormParams, type FusedBatchNormAttrs } from "./fused-batch-norm.js";

/**
 * Backward of the fused BatchNorm (+ ReLU), per group g and channel c with R rows:
 *   dz = dy * [y > 0] (relu) or dy,  xhat = (x - mean) / sqrt(var + eps),
 *   dbeta = sum dz,  dgamma = sum dz * xhat,  dx = gamma / sqrt(var + eps) * (dz - dbeta / R - xhat * dgamma / R).
 * Without a residual the mask is recomputed from x, gamma, beta and the statistics with the forward's float32
 * operations (y is not read); with one it is read from y, and the residual's gradient dz is a fourth output.
 * Outputs dx, dgamma [groups, c], dbeta [groups, c] (, dresidual).
 */
function backward({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { dy, x, y, gamma, beta, mean, variance } = inputs as Record<string, tf.TensorInfo>;
  const { groups, relu, epsilon, residual } = attrs as unknown as FusedBatchNormAttrs;
  const params = batchNormParams(x!.shape, tf.util.sizeFromShape(gamma!.shape), groups);
  const dx = backend.allocate(x!.shape);
  const dresidual = residual ? backend.allocate(x!.shape) : null;
  const dgamma = backend.allocate([groups, params[2]!]);
  const dbeta = backend.allocate([groups, params[2]!]);
  backend.kernels.batchNormGrad(
    float32Of(backend, dy!), float32Of(backend, x!), residual && relu ? float32Of(backend, y!) : null, relu && !residual ? float32Of(backend, beta!) : null,
    float32Of(backend, gamma!), float32Of(backend, mean!), float32Of(backend, variance!), dx.values, dresidual?.values ?? null, dgamma.values, dbeta.values,
    params, epsilon, relu,
  );
  return dresidual ? [dx.info, dgamma.info, dbeta.info, dresidual.info] : [dx.info, dgamma.info, dbeta.info];
}

export function registerFusedBatchNormGrad(): void {
  tf.registerKernel({ kernelName: FUSED_BATCH_NORM_GRAD, backendName: NATIVE_BACKEND_NAME, kernelFunc: backward as unknown as tf.KernelFunc });
}
