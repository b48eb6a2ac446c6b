import { beforeAll, describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { loadSamStateFromArtifacts, loadVariablesFromArtifacts, samStateToArtifacts, variablesToArtifacts } from "./checkpoint.js";
import { layersModelLoss, layersModelVariables } from "./layers-model.js";
import { SamOptimizer, type Batch, type SamOptions } from "./sam-optimizer.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const BN_MOMENTUM = 0.9;

/** dense(6) -> BatchNorm -> relu -> dense(3): a small classifier with running statistics. */
function batchNormClassifier(seed: number): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [5], units: 6, useBias: false, kernelInitializer: tf.initializers.glorotNormal({ seed }) }));
  model.add(tf.layers.batchNormalization({ momentum: BN_MOMENTUM }));
  model.add(tf.layers.activation({ activation: "relu" }));
  model.add(tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 1 }) }));
  return model;
}

function batch(size: number, seed: number): Batch {
  const x = tf.randomNormal([size, 5], 0, 1, "float32", seed);
  // Labels from a fixed linear rule, so the loss can go down.
  const y = tf.tidy(() => tf.oneHot(tf.argMax(tf.matMul(x, tf.tensor2d([1, -1, 0, 0.5, 0, 1, 0, 1, -1, 0.3, 0.2, 0, 1, 0, -0.5], [5, 3])), 1), 3));
  return { x, y };
}

const crossEntropy = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred) as tf.Scalar;

function samFor(model: tf.LayersModel, options: SamOptions): SamOptimizer {
  return new SamOptimizer(tf.train.momentum(0.1, 0.9), options, layersModelVariables(model));
}

describe("layersModelLoss / layersModelVariables", () => {
  test.each([
    ["SAM", { variant: "sam", rho: 0.05 }],
    ["4-SAM (m = 8)", { variant: "sam", rho: 0.05, subBatchSize: 8 }],
  ] as Array<[string, SamOptions]>)("%s trains a BatchNorm model: the loss goes down, no tensor leaks", (_, options) => {
    const model = batchNormClassifier(1);
    const sam = samFor(model, options);
    const lossFn = layersModelLoss(model, crossEntropy);
    const data = batch(32, 3);
    const losses: number[] = [];
    sam.step(lossFn, data); // the first step creates the momentum slots
    const tensorsAfterFirstStep = tf.memory().numTensors;
    for (let i = 0; i < 30; i++) losses.push(sam.step(lossFn, data).loss);
    expect(tf.memory().numTensors).toBe(tensorsAfterFirstStep);
    expect(losses.at(-1)!).toBeLessThan(0.7 * losses[0]!);
    sam.dispose();
    model.dispose();
    tf.dispose([data.x, data.y]);
  });

  test("BatchNorm's moving mean moves once per step, from the pass at the unperturbed weights", () => {
    const model = batchNormClassifier(5);
    const data = batch(16, 7);
    const movingMean = () => Array.from(model.layers[1]!.getWeights()[2]!.dataSync());
    const before = movingMean();
    // The batch mean of the BatchNorm input at the current weights w: the only statistic one update may use.
    const batchMean = tf.tidy(() => Array.from(tf.mean(model.layers[0]!.apply(data.x) as tf.Tensor, 0).dataSync()));
    const expected = before.map((m, i) => BN_MOMENTUM * m + (1 - BN_MOMENTUM) * batchMean[i]!);

    const sam = samFor(model, { variant: "sam", rho: 0.5 });
    sam.step(layersModelLoss(model, crossEntropy), data);
    movingMean().forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 5));

    // The official code's "both-passes" also updates from the perturbed pass: a different value.
    const other = batchNormClassifier(5);
    const both = new SamOptimizer(tf.train.momentum(0.1, 0.9), { variant: "sam", rho: 0.5, batchNormStatistics: "both-passes" }, layersModelVariables(other));
    both.step(layersModelLoss(other, crossEntropy), data);
    const twice = Array.from(other.layers[1]!.getWeights()[2]!.dataSync());
    expect(Math.max(...twice.map((value, i) => Math.abs(value - expected[i]!)))).toBeGreaterThan(1e-4);
    sam.dispose();
    both.dispose();
    tf.dispose([model, other].map((m) => m.getWeights()).flat());
  });

  test("a model without weights or a non-model is rejected with the field named", () => {
    expect(() => layersModelVariables({} as never)).toThrow(/^model: must be a tf.LayersModel/);
    expect(() => layersModelLoss(batchNormClassifier(1), undefined as never)).toThrow(/^loss: must be a function/);
  });
});

describe("checkpoints as tf.io artifacts", () => {
  test("model.save + samStateToArtifacts, reloaded with tf.loadLayersModel, continue the run exactly", async () => {
    const options: SamOptions = { variant: "sam", rho: 0.1, ascentBatch: "previous" };
    const batches = [0, 1, 2, 3, 4, 5].map((i) => batch(16, 20 + i));
    const model = batchNormClassifier(9);
    const sam = samFor(model, options);
    const lossFn = layersModelLoss(model, crossEntropy);
    for (const b of batches.slice(0, 3)) sam.step(lossFn, b);

    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }));
    const optimizerArtifacts = await samStateToArtifacts(sam);
    // Standard tfjs decoding sees the momentum slots and n-SAM's previous batch as named tensors.
    const decoded = tf.io.decodeWeights(optimizerArtifacts.weightData!, optimizerArtifacts.weightSpecs!);
    expect(Object.keys(decoded)).toEqual(expect.arrayContaining(["previous-batch/x", "previous-batch/y"]));
    expect(Object.keys(decoded).length).toBe(2 + 1 + model.trainableWeights.length);
    tf.dispose(Object.values(decoded));

    const continued = batches.slice(3).map((b) => sam.step(lossFn, b).loss);
    const finalWeights = model.getWeights().map((w) => Array.from(w.dataSync()));

    const restored = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const resumed = samFor(restored, options);
    await loadSamStateFromArtifacts(resumed, optimizerArtifacts);
    const restoredLoss = layersModelLoss(restored, crossEntropy);
    const again = batches.slice(3).map((b) => resumed.step(restoredLoss, b).loss);
    expect(again).toEqual(continued);
    expect(restored.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(finalWeights);
    expect(resumed.steps).toBe(6);
    sam.dispose();
    resumed.dispose();
    tf.dispose(batches.flatMap((b) => [b.x, b.y]));
  });

  test("variables round-trip through tf.io artifacts; a missing weight is named", async () => {
    const w = tf.variable(tf.randomNormal([3, 2], 0, 1, "float32", 4), true, "h2-w");
    const counts = tf.variable(tf.tensor1d([1, 2, 3], "int32"), false, "h2-counts");
    const artifacts = await variablesToArtifacts({ w, counts });
    const copyW = tf.variable(tf.zeros([3, 2]), true, "h2-w-copy");
    const copyCounts = tf.variable(tf.zeros([3], "int32"), false, "h2-counts-copy");
    loadVariablesFromArtifacts({ w: copyW, counts: copyCounts }, artifacts);
    expect(Array.from(copyW.dataSync())).toEqual(Array.from(w.dataSync()));
    expect(Array.from(copyCounts.dataSync())).toEqual([1, 2, 3]);
    expect(() => loadVariablesFromArtifacts({ bias: copyW }, artifacts)).toThrow('artifacts: no weight named "bias"; present: w, counts');
    await expect(loadSamStateFromArtifacts({} as SamOptimizer, artifacts)).rejects.toThrow(/^artifacts.userDefinedMetadata.format/);
    tf.dispose([w, counts, copyW, copyCounts]);
  });
});
