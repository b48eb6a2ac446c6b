import { describe, expect, test } from "@jest/globals";
import type { MetricRecord } from "../training/run-store.js";
import { bestPoint, finalPoint, firstEpochAtOrBelow, metricSeries, seedBand } from "./curves.js";

function record(epoch: number, values: Partial<MetricRecord>): MetricRecord {
  return {
    epoch,
    step: epoch * 10,
    learningRate: 0.1,
    trainLoss: null,
    trainBatchError: null,
    trainEvalLoss: null,
    trainEvalError: null,
    noisyTrainError: null,
    validationError: null,
    testLoss: null,
    testError: null,
    emaTestError: null,
    perturbationNorm: 0,
    samActive: false,
    imagesPerSecond: 0,
    elapsedSeconds: 0,
    ...values,
  };
}

describe("metricSeries", () => {
  test("keeps finite values in epoch order and drops null (not measured) and NaN (diverged) entries", () => {
    const records = [record(4, { testError: 0.3 }), record(0, { testError: 0.9, trainLoss: Number.NaN }), record(2, { testError: null }), record(6, { testError: Number.NaN })];
    expect(metricSeries(records, "testError")).toEqual([
      { epoch: 0, value: 0.9 },
      { epoch: 4, value: 0.3 },
    ]);
    expect(metricSeries(records, "trainLoss")).toEqual([]);
  });
});

describe("seedBand", () => {
  test("mean, min and max over seeds per epoch; epochs only one seed reached keep that seed alone", () => {
    const band = seedBand([
      [
        { epoch: 0, value: 1 },
        { epoch: 2, value: 0.5 },
        { epoch: 4, value: 0.2 },
      ],
      [
        { epoch: 0, value: 3 },
        { epoch: 2, value: 0.1 },
      ],
    ]);
    expect(band.map((point) => point.epoch)).toEqual([0, 2, 4]);
    expect(band[0]).toEqual({ epoch: 0, mean: 2, min: 1, max: 3, seeds: 2 });
    expect(band[1]!.mean).toBeCloseTo(0.3, 12);
    expect(band[2]).toEqual({ epoch: 4, mean: 0.2, min: 0.2, max: 0.2, seeds: 1 });
    for (const point of band) {
      expect(point.min).toBeLessThanOrEqual(point.mean);
      expect(point.mean).toBeLessThanOrEqual(point.max);
    }
  });
});

describe("best, final and first-reach points", () => {
  const series = [
    { epoch: 0, value: 0.9 },
    { epoch: 5, value: 0.4 },
    { epoch: 10, value: 0.6 },
    { epoch: 15, value: 0.4 },
    { epoch: 20, value: 0.05 },
  ];
  test("the best point is the earliest minimum; the final one is the last evaluation", () => {
    expect(bestPoint(series.slice(0, 4))).toEqual({ epoch: 5, value: 0.4 });
    expect(bestPoint(series)).toEqual({ epoch: 20, value: 0.05 });
    expect(finalPoint(series)).toEqual({ epoch: 20, value: 0.05 });
    expect(bestPoint([])).toBeNull();
    expect(finalPoint([])).toBeNull();
  });
  test("first epoch at or below a level, null when never reached", () => {
    expect(firstEpochAtOrBelow(series, 0.5)).toBe(5);
    expect(firstEpochAtOrBelow(series, 0.4)).toBe(5);
    expect(firstEpochAtOrBelow(series, 0.1)).toBe(20);
    expect(firstEpochAtOrBelow(series, 0.01)).toBeNull();
  });
});
