import * as tf from "@tensorflow/tfjs";
import { NATIVE_BACKEND_NAME } from "./native-backend.js";

/**
 * Registers a fused normalization kernel (BatchNorm or GroupNorm, +ReLU) on the native backend with its
 * gradient: the forward kernel returns [y, mean, variance] from {x, gamma, beta}; the gradient runs
 * `gradKernelName` on {dy, x, y, gamma, beta, mean, variance} with the same attributes and returns
 * [dx, dgamma, dbeta] (dbeta = sum dy through the ReLU mask, dgamma = sum dy * x_hat), and the gradient of an
 * optional `residual` input fourth (a residual added before the ReLU: dy through the mask). Both fused kernels
 * share this wiring; only their native kernels and shape checks differ.
 */
export function registerFusedNormalization(kernelName: string, gradKernelName: string, forward: tf.KernelFunc): void {
  tf.registerKernel({ kernelName, backendName: NATIVE_BACKEND_NAME, kernelFunc: forward });
  tf.registerGradient({
    kernelName,
    inputsToSave: ["x", "gamma", "beta"],
    outputsToSave: [true, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [x, gamma, beta, y, mean, variance] = saved as tf.Tensor[];
      const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
      const [dx, dgamma, dbeta, dresidual] = tf.engine().runKernel(gradKernelName, { dy, x: x!, y: y!, gamma: gamma!, beta: beta!, mean: mean!, variance: variance! }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      const grads: Record<string, () => tf.Tensor> = { x: () => dx!, gamma: () => tf.reshape(dgamma!, gamma!.shape), beta: () => tf.reshape(dbeta!, gamma!.shape) };
      // A kernel with a residual input (BatchNorm's residual merge) returns its gradient fourth.
      if (dresidual) grads.residual = () => dresidual;
      return grads;
    },
  });
}
