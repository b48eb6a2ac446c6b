import { SeededRandom } from "@sam-repro/runtime";
import type { ImageSet } from "../data/cifar-format.js";
import type { ResNet } from "../models/resnet.js";
import { evaluateModel, recomputeBatchNormStatistics, type Evaluation } from "./evaluate.js";

export interface InterpolationPoint {
  alpha: number;
  train: Evaluation;
  test: Evaluation;
}

export interface InterpolationOptions {
  alphas: number[];
  /** Training images for the BatchNorm statistics at each alpha (augmented when `augment`), SPEC 1.7: 5,000. */
  statisticsIndices: Int32Array;
  statisticsBatchSize: number;
  augment: boolean;
  /** Images on which train and test loss/error are measured (SPEC 1.7: 1,024 each). */
  trainIndices: Int32Array;
  testIndices: Int32Array;
  seed: number;
}

/**
 * Loss along the line between two weight vectors (SPEC 1.7, eval_loss_surface.py):
 *   theta(a) = (1 - a) theta_0 + a theta_1,  a in `alphas`,
 * with the BatchNorm statistics recomputed at every a (they are not interpolated), then train and
 * test loss and error in inference mode. `model` is used as scratch space; its weights end at theta(last a).
 */
export function interpolate(model: ResNet, start: Float32Array[], end: Float32Array[], train: ImageSet, test: ImageSet, options: InterpolationOptions): InterpolationPoint[] {
  const points: InterpolationPoint[] = [];
  for (const alpha of options.alphas) {
    const weights = start.map((a, i) => {
      const b = end[i]!;
      const out = new Float32Array(a.length);
      for (let k = 0; k < a.length; k++) out[k] = (1 - alpha) * a[k]! + alpha * b[k]!;
      return out;
    });
    model.writeWeights({ parameters: weights });
    // Fresh statistics for every point (the first batch replaces the old ones), from the same images and draws.
    recomputeBatchNormStatistics(model, train, options.statisticsIndices, options.statisticsBatchSize, options.augment ? new SeededRandom(options.seed) : undefined);
    points.push({
      alpha,
      train: evaluateModel(model, train, { indices: options.trainIndices }),
      test: evaluateModel(model, test, { indices: options.testIndices }),
    });
  }
  return points;
}
