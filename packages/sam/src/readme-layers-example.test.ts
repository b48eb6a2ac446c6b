// The tf.layers example of packages/sam/README.md, inside a test, so that it stays correct.
import { afterEach, expect, jest, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { SamOptimizer, layersModelLoss, layersModelVariables, samStateToArtifacts } from "@sam-repro/sam";
import { SeededRandom } from "./random.js";
import { matchingReadmeBlock } from "./test-readme.js";

// Math.random is replaced during the example (below); restored even when an expectation fails.
afterEach(() => {
  jest.restoreAllMocks();
});

test("README example: a tf.LayersModel with BatchNorm trained with m-SAM, then checkpointed", async () => {
  await tf.setBackend("cpu");
  const storage: tf.io.ModelArtifacts[] = [];
  // An in-memory tf.io handler standing in for "indexeddb://..." or "file://...".
  const store = {
    save: async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      storage.push(artifacts);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    },
  };
  // The example's layers draw their initial weights with seeds from Math.random (tfjs does when no seed is given):
  // a fixed stream makes this test independent of the draw (an unlucky one failed the loss check in CI).
  const stream = new SeededRandom(1);
  jest.spyOn(Math, "random").mockImplementation(() => stream.uniform());
  // --- README example starts ---
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 8, kernelSize: 3, padding: "same", useBias: false }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 2 }),
    ],
  });
  // m-SAM with m = 16 on batches of 64: four sub-batches, each with its own perturbation.
  const sam = new SamOptimizer(tf.train.momentum(0.05, 0.9), { variant: "sam", rho: 0.05, subBatchSize: 16 }, layersModelVariables(model));
  const lossFn = layersModelLoss(model, (labels, logits) => tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar);

  // Toy task: is the bright square in the left or the right half of the image?
  const left = tf.randomUniform([64], 0, 1, "float32", 7).less(0.5);
  const x = tf.tidy(() => {
    const column = tf.range(0, 8).reshape([1, 1, 8, 1]);
    const inLeft = column.less(4).cast("float32");
    return tf.where(left.reshape([64, 1, 1, 1]), inLeft.tile([64, 8, 1, 1]), tf.sub(1, inLeft).tile([64, 8, 1, 1]));
  });
  const y = tf.oneHot(left.cast("int32"), 2);
  const losses: number[] = [];
  for (let step = 0; step < 40; step++) losses.push(sam.step(lossFn, { x, y }).loss);
  console.log(`loss ${losses[0]!.toFixed(3)} -> ${losses.at(-1)!.toFixed(3)}`);

  // Checkpoint in tfjs's own format: any tf.io handler ("indexeddb://...", "file://..." with tfjs-node, ...).
  await model.save(store); // weights, BatchNorm statistics included
  await store.save(await samStateToArtifacts(sam)); // momentum slots, step, random stream
  // --- README example ends ---

  expect(losses.at(-1)!).toBeLessThan(0.5 * losses[0]!);
  expect(storage.length).toBe(2);
  expect(storage[0]!.weightSpecs!.map((spec) => spec.name)).toEqual(expect.arrayContaining([expect.stringMatching(/moving_mean/)]));
  expect(matchingReadmeBlock(import.meta.filename)).toEqual({ found: true, missingImports: [] });
  sam.dispose();
  model.dispose();
  tf.dispose([left, x, y]);
});
