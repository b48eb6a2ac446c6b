import { describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { formatBenchTable, runOptimizerBench } from "./optimizer-bench.js";
import { buildResNet20 } from "./resnet20.js";

describe("optimizer benchmark", () => {
  test("ResNet-20 has the standard CIFAR size (0.27 M parameters) and its loss is about ln 10 at initialisation", async () => {
    const { initBackend } = await import("@sam-repro/runtime");
    await initBackend();
    const model = buildResNet20(10, 0);
    // 3x3 convs 16-32-64 (3 blocks per stage), two 1x1 projections, BN affine, dense 64x10: 272,474 in the usual count
    // with 1x1-conv shortcuts (the option-A padding version has 270k).
    expect(model.parameterCount).toBeGreaterThan(270_000);
    expect(model.parameterCount).toBeLessThan(275_000);
    const x = tf.randomUniform([4, 32, 32, 3], 0, 1, "float32", 1);
    const y = tf.tensor1d([0, 1, 2, 3], "int32");
    const loss = tf.tidy(() => model.lossFn({ x, y }, { updateStatistics: false, kind: "plain" }).dataSync()[0]!);
    expect(Math.abs(loss - Math.log(10))).toBeLessThan(1.5);
    tf.dispose([x, y]);
    model.dispose();
  });

  test("a tiny run reports every row, the ratios to SGD and the two targets, and leaks nothing", async () => {
    const before = tf.memory().numTensors;
    const report = await runOptimizerBench({ batchSize: 4, subBatchSize: 2, warmupSteps: 0, timedSteps: 1, seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.rows.map((r) => r.name)).toEqual(["SGD", "SAM", "USAM", "2-SAM (m = 2)", "SAM, batch 2"]);
    expect(report.rows[0]!.timeRatioToSgd).toBe(1);
    for (const row of report.rows) expect(row.imagesPerSecond).toBeCloseTo(row.batchSize / row.medianStepSeconds, 10);
    expect(report.targets).toHaveLength(2);
    expect(report.targets[0]!.met).toBe(report.targets[0]!.value <= 2.1);
    expect(formatBenchTable(report)).toContain("| SAM, batch 2");
  });
});
