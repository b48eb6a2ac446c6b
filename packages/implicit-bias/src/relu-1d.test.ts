import { describe, expect, test } from "@jest/globals";
import { evaluateReluNet, initReluNet, kinkSummary, maennelData, trainReluNet, type ReluNet } from "./relu-1d.js";

const data = maennelData();

function loss(net: ReluNet): number {
  const predictions = evaluateReluNet(net, data.x);
  return predictions.reduce((sum, value, i) => sum + (value - data.y[i]!) ** 2, 0) / 2;
}

function flatten(net: ReluNet): Float64Array {
  return Float64Array.from([...net.hiddenWeight, ...net.hiddenBias, ...net.outputWeight]);
}

function unflatten(values: Float64Array, width: number): ReluNet {
  return { hiddenWeight: values.slice(0, width), hiddenBias: values.slice(width, 2 * width), outputWeight: values.slice(2 * width) };
}

function finiteDifference(net: ReluNet, h = 1e-6): Float64Array {
  const width = net.hiddenWeight.length;
  const flat = flatten(net);
  return flat.map((_, p) => {
    const plus = Float64Array.from(flat);
    const minus = Float64Array.from(flat);
    plus[p]! += h;
    minus[p]! -= h;
    return (loss(unflatten(plus, width)) - loss(unflatten(minus, width))) / (2 * h);
  });
}

const oneStep = { maxIterations: 0, lossTarget: 0, decayHorizon: 1e6 };

describe("1-D ReLU network (SPEC 1.6)", () => {
  test("the data are the notebook's 12 points", () => {
    expect(data.x).toHaveLength(12);
    expect(data.x[0]).toBeCloseTo(-5.5 / 4 + 0.07, 15);
    expect(data.y[4]).toBeCloseTo(2.345, 15);
  });

  test("initialization: hidden weights +-2.5, biases ~ N(0, 2.5^2), output weights ~ N(0, 4^2)", () => {
    const net = initReluNet(4000, 1);
    expect(net.hiddenWeight.every((w) => Math.abs(w) === 2.5)).toBe(true);
    const positive = net.hiddenWeight.filter((w) => w > 0).length / 4000;
    expect(Math.abs(positive - 0.5)).toBeLessThan(0.03);
    const std = (values: Float64Array) => Math.sqrt(values.reduce((sum, value) => sum + value * value, 0) / values.length);
    expect(Math.abs(std(net.hiddenBias) - 2.5)).toBeLessThan(0.1);
    expect(Math.abs(std(net.outputWeight) - 4)).toBeLessThan(0.15);
  });

  test("a GD step moves along the gradient of 0.5 sum (f(x_i) - y_i)^2 (finite differences)", () => {
    const net = initReluNet(20, 3);
    const learningRate = 1e-4;
    const result = trainReluNet(data, net, { ...oneStep, learningRate, rho: 0 });
    expect(result.steps).toBe(1);
    const direction = flatten(net).map((value, p) => (value - flatten(result.net)[p]!) / learningRate);
    const expected = finiteDifference(net);
    const scale = Math.max(...Array.from(expected, Math.abs));
    direction.forEach((value, p) => expect(Math.abs(value - expected[p]!)).toBeLessThan(1e-6 * scale));
  });

  test("a SAM step uses the gradient at w + rho grad / ||grad|| and the linearly decayed learning rate", () => {
    const net = initReluNet(20, 4);
    const rho = 0.3;
    const learningRate = 1e-4;
    const decayHorizon = 10;
    const result = trainReluNet(data, net, { maxIterations: 0, lossTarget: 0, decayHorizon, learningRate, rho });
    const gradient = finiteDifference(net);
    const gradientNorm = Math.hypot(...gradient);
    const perturbed = unflatten(flatten(net).map((value, p) => value + (rho * gradient[p]!) / gradientNorm), 20);
    const expected = finiteDifference(perturbed);
    const stepLearningRate = learningRate * (1 - 1 / decayHorizon);
    const direction = flatten(net).map((value, p) => (value - flatten(result.net)[p]!) / stepLearningRate);
    const scale = Math.max(...Array.from(expected, Math.abs));
    direction.forEach((value, p) => expect(Math.abs(value - expected[p]!)).toBeLessThan(1e-5 * scale));
  });

  test("training stops once the checked loss reaches the target, and the loss decreases under GD", () => {
    const net = initReluNet(100, 0);
    const result = trainReluNet(data, net, { learningRate: 5e-5, rho: 0, maxIterations: 200000, lossTarget: 1e-3, decayHorizon: 1e6 });
    expect(result.diverged).toBe(false);
    expect(result.steps).toBeLessThan(200001);
    expect(result.lastCheckedLoss).toBeLessThanOrEqual(1e-3);
    expect(result.finalLoss).toBeLessThan(loss(net));
    expect(result.finalLoss).toBeCloseTo(loss(result.net), 12);
  });

  test("kinkSummary: a unit bends f at -b/w by a |w|; nearby kinks merge; kinks outside the range are ignored", () => {
    const net: ReluNet = {
      hiddenWeight: Float64Array.of(1, -2, 1, 1),
      hiddenBias: Float64Array.of(0, 1, -0.005, -5),
      outputWeight: Float64Array.of(3, 0.5, -1, 10),
    };
    // Units 0 and 2 bend at 0 and 0.005 (merged: 3 - 1 = 2), unit 1 at 0.5 (change 0.5 * 2 = 1), unit 3 at 5 (outside).
    expect(kinkSummary(net, -1, 1, 0.1, 0.01)).toEqual({ slopeVariation: 3, kinks: 2 });
    const xs = [-0.5, 0.25, 0.75];
    const f = evaluateReluNet(net, xs);
    expect(f[0]).toBeCloseTo(0.5 * 2, 12);
    expect(f[1]).toBeCloseTo(3 * 0.25 + 0.5 * (1 - 0.5) - (0.25 - 0.005), 12);
  });
});
