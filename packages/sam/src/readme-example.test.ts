// The first usage example of packages/sam/README.md, inside a test, so that it stays correct.
import { expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { SamOptimizer, type LossFunction } from "@sam-repro/sam";
import { matchingReadmeBlock } from "./test-readme.js";

test("README example: SAM over SGD with momentum on a small classifier", async () => {
  // --- README example starts ---
  await tf.ready(); // webgl in a browser, cpu in Node (or "tensorflow" once @tensorflow/tfjs-node is imported)

  // A small classifier written with tf ops; SAM perturbs the tf.Variables it is given.
  const w1 = tf.variable(tf.randomNormal([20, 32], 0, 0.3, "float32", 1));
  const b1 = tf.variable(tf.zeros([32]));
  const w2 = tf.variable(tf.randomNormal([32, 3], 0, 0.3, "float32", 2));
  const lossFn: LossFunction = ({ x, y }) =>
    tf.tidy(() => {
      const logits = tf.matMul(tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, w1), b1)), w2);
      return tf.losses.softmaxCrossEntropy(tf.oneHot(y as tf.Tensor1D, 3), logits) as tf.Scalar;
    });

  // The paper's setting: SGD with momentum 0.9, rho = 0.05, weight decay 5e-4 inside the objective.
  // 4-SAM on batches of 128 would add `subBatchSize: 32`.
  const sam = new SamOptimizer(tf.train.momentum(0.1, 0.9), { variant: "sam", rho: 0.05, weightDecay: 5e-4 }, [w1, b1, w2]);

  const x = tf.randomNormal([128, 20], 0, 1, "float32", 3);
  const y = tf.tensor1d(Array.from({ length: 128 }, (_, i) => i % 3), "int32");
  const losses: number[] = [];
  for (let epoch = 0; epoch < 20; epoch++) {
    const { loss } = sam.step(lossFn, { x, y }, { learningRate: 0.1 * (1 - epoch / 20) });
    losses.push(loss);
  }
  console.log(`training loss: ${losses[0]!.toFixed(3)} -> ${losses[19]!.toFixed(3)}`);
  const checkpoint = JSON.stringify(await sam.getState()); // step, momentum slots, random stream: resume with setState
  sam.dispose(); // also disposes the base optimizer
  tf.dispose([x, y, w1, b1, w2]);
  // --- README example ends ---

  expect(losses[19]!).toBeLessThan(losses[0]!);
  expect(JSON.parse(checkpoint).base.length).toBe(4); // iterations + one momentum slot per variable
  expect(matchingReadmeBlock(import.meta.filename)).toEqual({ found: true, missingImports: [] });
});
