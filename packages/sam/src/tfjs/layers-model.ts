/**
 * SAM / m-SAM for a tf.LayersModel (tf.sequential, tf.model) trained with a hand-written loop instead of
 * model.fit: the model's trainable weights are the tf.Variables SAM perturbs, and the loss runs the model in
 * training mode (BatchNorm normalises with the statistics of the (sub-)batch, as in the paper). BatchNorm's
 * running statistics move only on the passes SamOptimizer allows (pass.updateStatistics): on the others they
 * are put back to their values before the pass, so the perturbed passes leave them untouched.
 *
 * model.compile cannot take SAM honestly: a tf.Optimizer receives one gradient per step, while SAM needs to
 * evaluate the loss again at perturbed weights. Hence a loss function plus SamOptimizer.step.
 *
 * Only structural types are used here, so this package needs tfjs-core and not tfjs-layers.
 */
import * as tf from "@tensorflow/tfjs-core";
import { InputError } from "../errors.js";
import type { LossFunction } from "./sam-optimizer.js";

/** A weight of a layers model (tfjs-layers' LayerVariable): read() gives the tf.Variable behind it. */
export interface LayersWeight {
  readonly name: string;
  read(): tf.Tensor;
  write(value: tf.Tensor): unknown;
}

/** What the helpers use of a tf.LayersModel. */
export interface LayersModelLike {
  readonly trainableWeights: readonly LayersWeight[];
  readonly nonTrainableWeights: readonly LayersWeight[];
  apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: { training?: boolean }): unknown;
}

/** The mean loss of predictions against targets, e.g. `(y, p) => tf.losses.softmaxCrossEntropy(y, p)`. */
export type LayersLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;

function assertLayersModel(model: LayersModelLike): void {
  const candidate = model as Partial<LayersModelLike> | null;
  if (!candidate || typeof candidate.apply !== "function" || !Array.isArray(candidate.trainableWeights)) {
    throw new InputError("model: must be a tf.LayersModel (tf.sequential(...) or tf.model(...)) with its weights built");
  }
}

/** The tf.Variables behind the model's trainable weights, to pass to `new SamOptimizer(base, options, variables)`. */
export function layersModelVariables(model: LayersModelLike): tf.Variable[] {
  assertLayersModel(model);
  if (model.trainableWeights.length === 0) {
    throw new InputError("model: has no trainable weights; build it (give the first layer inputShape) before training");
  }
  return model.trainableWeights.map((weight) => {
    const variable = weight.read();
    if (!(variable instanceof tf.Variable)) throw new InputError(`model: weight "${weight.name}" is not backed by a tf.Variable`);
    return variable;
  });
}

/**
 * The LossFunction of `model` for SamOptimizer.step: loss(y, model.apply(x, { training: true })). On passes with
 * pass.updateStatistics false, the non-trainable weights (BatchNorm's moving mean and variance) are restored to
 * their values before the pass, so they change once per (sub-)batch, from the pass at the unperturbed weights.
 */
export function layersModelLoss(model: LayersModelLike, loss: LayersLoss): LossFunction {
  assertLayersModel(model);
  if (typeof loss !== "function") throw new InputError("loss: must be a function (yTrue, yPred) => tf.Scalar");
  return ({ x, y }, pass) => {
    const statistics = model.nonTrainableWeights;
    const before = pass.updateStatistics ? [] : statistics.map((weight) => tf.clone(weight.read()));
    const prediction = model.apply(x, { training: true });
    if (!(prediction instanceof tf.Tensor)) {
      tf.dispose(before);
      throw new InputError("model: must have one output tensor (a model with several outputs needs its own LossFunction)");
    }
    const value = loss(y, prediction);
    if (!pass.updateStatistics) {
      statistics.forEach((weight, i) => weight.write(before[i]!));
      tf.dispose(before);
    }
    return value;
  };
}
