import * as tf from "@tensorflow/tfjs";
import { SeededRandom } from "../random.js";

/**
 * A test input: a tensor of the given shape whose entries are mean + N(0, 1) draws from SeededRandom(seed), so the
 * same (shape, seed) gives the same values on every backend.
 */
export function seededNormalTensor(shape: number[], seed: number, mean = 0): tf.Tensor {
  const random = new SeededRandom(seed);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = mean + random.normal();
  return tf.tensor(values, shape);
}
