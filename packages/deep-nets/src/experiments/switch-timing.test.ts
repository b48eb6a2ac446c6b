import { beforeAll, describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@sam-repro/runtime";
import { SamOptimizer, type LossFunction } from "@sam-repro/sam";
import { switchSettings, type SwitchDirection } from "./switch-timing.js";

beforeAll(async () => {
  await initBackend("wasm");
});

describe("switch points as epoch windows", () => {
  test("SAM -> ERM at x uses SAM in epochs 1..round(xE), ERM -> SAM in the epochs after; the endpoints are the plain runs", () => {
    const epochs = 30;
    for (const fraction of [0, 0.1, 0.3, 0.5, 0.6, 0.7, 0.9, 1]) {
      const k = Math.round(fraction * epochs);
      for (const direction of ["sam-to-erm", "erm-to-sam"] as const) {
        const s = switchSettings(direction, fraction, epochs);
        const expected = Array.from({ length: epochs }, (_, i) => (direction === "sam-to-erm" ? i + 1 <= k : i + 1 > k));
        const active = Array.from({ length: epochs }, (_, i) => s.sam && (!s.epochWindow || (s.epochWindow[0] <= (i + 1) / epochs && (i + 1) / epochs <= s.epochWindow[1])));
        expect(active).toEqual(expected);
        expect(s.samEpochs).toBe(expected.filter(Boolean).length);
        if (s.samEpochs === 0 || s.samEpochs === epochs) expect(s.epochWindow).toBeUndefined();
      }
    }
  });
});

// A small softmax regression; enough to tell a SAM step from an SGD step.
function problem() {
  const x = tf.randomNormal([24, 5], 0, 1, "float32", 7);
  const y = tf.tensor1d(Array.from({ length: 24 }, (_, i) => i % 3), "int32");
  const lossOf =
    (w: tf.Variable, b: tf.Variable): LossFunction =>
    (batch) =>
      tf.losses.softmaxCrossEntropy(tf.oneHot(batch.y as tf.Tensor1D, 3), tf.add(tf.matMul(batch.x as tf.Tensor2D, w), b)) as tf.Scalar;
  return { x, y, lossOf };
}

function variables(): [tf.Variable, tf.Variable] {
  return [tf.variable(tf.randomNormal([5, 3], 0, 0.5, "float32", 3)), tf.variable(tf.zeros([3]))];
}

describe("an epoch-window switch equals a manual two-phase run", () => {
  const epochs = 10;
  const learningRate = (epoch: number) => 0.2 * (0.5 + 0.5 * Math.cos((Math.PI * epoch) / epochs));
  const sam = { variant: "sam" as const, rho: 0.3, subBatchSize: 8, weightDecay: 5e-4 };

  for (const direction of ["sam-to-erm", "erm-to-sam"] as SwitchDirection[]) {
    test(`${direction} at 40%: the windowed optimizer ends at the weights of first-phase then second-phase optimizers sharing the momentum`, async () => {
      const { x, y, lossOf } = problem();
      const switched = switchSettings(direction, 0.4, epochs);
      expect(switched.epochWindow).toBeDefined();
      const [w1, b1] = variables();
      const windowed = new SamOptimizer(tf.train.momentum(0.2, 0.9), { ...sam, samEpochWindow: switched.epochWindow! }, [w1, b1]);
      const activity: boolean[] = [];
      for (let epoch = 1; epoch <= epochs; epoch++) activity.push(windowed.step(lossOf(w1, b1), { x, y }, { epoch, totalEpochs: epochs, learningRate: learningRate(epoch) }).samActive);

      const [w2, b2] = variables();
      const first = new SamOptimizer(tf.train.momentum(0.2, 0.9), direction === "sam-to-erm" ? sam : { ...sam, variant: "sgd" }, [w2, b2]);
      for (let epoch = 1; epoch <= 4; epoch++) first.step(lossOf(w2, b2), { x, y }, { learningRate: learningRate(epoch) });
      const second = new SamOptimizer(tf.train.momentum(0.2, 0.9), direction === "sam-to-erm" ? { ...sam, variant: "sgd" } : sam, [w2, b2]);
      await second.setState(await first.getState());
      for (let epoch = 5; epoch <= epochs; epoch++) second.step(lossOf(w2, b2), { x, y }, { learningRate: learningRate(epoch) });

      expect(activity).toEqual(Array.from({ length: epochs }, (_, i) => (direction === "sam-to-erm" ? i < 4 : i >= 4)));
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(w1, w2))).dataSync()[0]!)).toBeLessThan(1e-6);
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(b1, b2))).dataSync()[0]!)).toBeLessThan(1e-6);

      // The switch matters: plain ERM throughout ends elsewhere.
      const [w3, b3] = variables();
      const erm = new SamOptimizer(tf.train.momentum(0.2, 0.9), { ...sam, variant: "sgd" }, [w3, b3]);
      for (let epoch = 1; epoch <= epochs; epoch++) erm.step(lossOf(w3, b3), { x, y }, { learningRate: learningRate(epoch) });
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(w1, w3))).dataSync()[0]!)).toBeGreaterThan(1e-3);

      for (const optimizer of [windowed, first, second, erm]) optimizer.dispose();
      tf.dispose([x, y, w1, b1, w2, b2, w3, b3]);
    });
  }
});
