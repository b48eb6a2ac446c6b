import * as tf from "@tensorflow/tfjs";
import { tensorPerturbation } from "@sam-repro/sam";
import type { ImageSet } from "../data/cifar-format.js";
import { gatherBatch } from "../data/augment.js";
import type { ResNet } from "../models/resnet.js";
import type { SharpnessSettings } from "./config.js";
import { batchTensors } from "./prepared-data.js";

export interface SharpnessResult {
  /** Mean over batches of max over restarts of L_B(w + delta*) - L_B(w). */
  sharpness: number;
  /** Mean L_B(w) and mean L_B(w + delta*) over the batches. */
  lossAtWeights: number;
  lossAtPerturbed: number;
  /** Mean error at w and at w + delta*. */
  errorAtWeights: number;
  errorAtPerturbed: number;
  /** Mean ||delta*|| (<= rho). */
  perturbationNorm: number;
  batches: number;
  m: number;
}

function lossAndError(model: ResNet, x: tf.Tensor4D, y: tf.Tensor1D): [number, number] {
  return tf.tidy(() => {
    const logits = model.apply(x, { training: false });
    const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(y, model.config.classes), logits);
    const error = tf.mean(tf.cast(tf.notEqual(tf.argMax(logits, 1), y), "float32"));
    const values = tf.stack([loss, error]).dataSync();
    return [values[0]!, values[1]!];
  });
}

/**
 * m-sharpness by projected gradient ascent on the weights (SPEC 1.7, eval_sharpness.py): for each
 * batch B of m = settings.batchSize of the given images, with the model in inference mode,
 *   delta_0 = 0,  delta_{k+1} = Proj_{||delta|| <= rho}(delta_k + eta g_k/||g_k||),  g_k = grad_w L_B(w + delta_k),
 * with eta = stepSizeMultiplier * rho and one global l2 norm over all trainable parameters; the
 * sharpness of B is L_B(w + delta_K) - L_B(w) (the larger over restarts; restarts after the first
 * start from a random point on the sphere of radius rho/2, seeded). Returns the mean over batches.
 * The model's weights are restored exactly afterwards.
 */
export function measureSharpness(model: ResNet, set: ImageSet, indices: Int32Array, settings: SharpnessSettings, seed = 0): SharpnessResult {
  const m = settings.batchSize;
  const batches = Math.max(1, Math.floor(indices.length / m));
  const stepSize = settings.stepSizeMultiplier * settings.rho;
  const saved = model.parameters.map((v) => tf.keep(tf.clone(v)));
  const placeAt = (delta: tf.Tensor[]) => tf.tidy(() => model.parameters.forEach((v, i) => v.assign(tf.add(saved[i]!, delta[i]!))));
  const restore = () => tf.tidy(() => model.parameters.forEach((v, i) => v.assign(saved[i]!)));
  const totals = { sharpness: 0, loss0: 0, loss1: 0, error0: 0, error1: 0, norm: 0 };
  try {
    for (let b = 0; b < batches; b++) {
      const chunk = indices.subarray(b * m, Math.min(indices.length, (b + 1) * m));
      const labels = Int32Array.from(chunk, (index) => set.labels[index]!);
      const { x, y } = batchTensors(gatherBatch(set, chunk), labels);
      restore();
      const [loss0, error0] = lossAndError(model, x, y);
      let best = { increase: Number.NEGATIVE_INFINITY, loss: loss0, error: error0, norm: 0 };
      for (let restart = 0; restart < settings.restarts; restart++) {
        let delta: tf.Tensor[] = tf.tidy(() => {
          if (restart === 0) return model.parameters.map((v) => tf.zerosLike(v));
          const noise = model.parameters.map((v, i) => tf.randomNormal(v.shape, 0, 1, "float32", seed * 1000 + b * 37 + restart * 7 + i));
          return scaleToNorm(noise, settings.rho / 2);
        });
        for (let k = 0; k < settings.iterations; k++) {
          placeAt(delta);
          const next = tf.tidy(() => {
            const { grads } = tf.variableGrads(
              () => tf.losses.softmaxCrossEntropy(tf.oneHot(y, model.config.classes), model.apply(x, { training: false })) as tf.Scalar,
              model.parameters,
            );
            const gradients = model.parameters.map((v) => grads[v.name] ?? tf.zerosLike(v));
            // SAM's own normalized ascent step and ball projection (@sam-repro/sam), one global norm.
            const stepped = tensorPerturbation.ascentStep("sam", delta, gradients, stepSize, ASCENT_EPSILON, null);
            return tensorPerturbation.projectOntoBall(stepped, settings.rho, null);
          });
          tf.dispose(delta);
          delta = next;
        }
        placeAt(delta);
        const [loss1, error1] = lossAndError(model, x, y);
        const norm = tf.tidy(() => tensorPerturbation.globalNorm(delta).dataSync()[0]!);
        tf.dispose(delta);
        if (loss1 - loss0 > best.increase) best = { increase: loss1 - loss0, loss: loss1, error: error1, norm };
      }
      tf.dispose([x, y]);
      totals.sharpness += best.increase;
      totals.loss0 += loss0;
      totals.loss1 += best.loss;
      totals.error0 += error0;
      totals.error1 += best.error;
      totals.norm += best.norm;
    }
  } finally {
    restore();
    tf.dispose(saved);
  }
  return {
    sharpness: totals.sharpness / batches,
    lossAtWeights: totals.loss0 / batches,
    lossAtPerturbed: totals.loss1 / batches,
    errorAtWeights: totals.error0 / batches,
    errorAtPerturbed: totals.error1 / batches,
    perturbationNorm: totals.norm / batches,
    batches,
    m,
  };
}

/** The epsilon in g/(||g|| + eps) of the ascent direction (the value this measure always used). */
const ASCENT_EPSILON = 1e-12;

function scaleToNorm(tensors: tf.Tensor[], radius: number): tf.Tensor[] {
  const norm = tensorPerturbation.globalNorm(tensors);
  return tensors.map((t) => tf.mul(t, tf.div(radius, tf.add(norm, 1e-12))));
}
