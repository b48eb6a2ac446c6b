import { describe, expect, test } from "@jest/globals";
import { compareRounds, fasterThreadCount } from "./bench-ratios.js";
import { table } from "./bench-table.js";
import type { TrainingBenchReport } from "./training-bench.js";

const speeds = (sgd: number, sam: number, msam8: number) => ({
  sgd: { imagesPerSecond: sgd, imagesPerCpuSecond: sgd / 2 },
  sam: { imagesPerSecond: sam, imagesPerCpuSecond: sam / 2 },
  msam8: { imagesPerSecond: msam8, imagesPerCpuSecond: msam8 / 2 },
});

describe("comparing alternating rounds", () => {
  // Round 2 of ours was slowed by the machine, round 1 of PyTorch was: each side counts its best round.
  const ours = [
    { backend: "native", round: 1, steps: speeds(500, 250, 200) },
    { backend: "native", round: 2, steps: speeds(400, 260, 150) },
    { backend: "wasm", round: 1, steps: speeds(100, 50, 0) },
  ];
  const pytorch = [
    { round: 1, steps: speeds(300, 200, 100) },
    { round: 2, steps: speeds(400, 240, 250) },
  ];

  test("ours / PyTorch and m-SAM / SAM use each side's best round per step kind", () => {
    const { ratioToPytorch, ratioToSam } = compareRounds(ours, pytorch, "native");
    expect(ratioToPytorch.sgd!.wallClock).toBeCloseTo(500 / 400, 12);
    expect(ratioToPytorch.sam!.wallClock).toBeCloseTo(260 / 240, 12);
    expect(ratioToPytorch.msam8!.wallClock).toBeCloseTo(200 / 250, 12);
    expect(ratioToPytorch.sam!.perCpuSecond).toBeCloseTo(130 / 120, 12);
    expect(ratioToSam.msam8!.wallClock).toBeCloseTo(260 / 200, 12);
    expect(ratioToSam.msam16).toBeUndefined();
    expect(ratioToSam.msam).toBeUndefined();
  });

  test("the looped m-SAM kind is compared with SAM too", () => {
    const looped = [{ backend: "native", steps: { sam: { imagesPerSecond: 300, imagesPerCpuSecond: 150 }, msam: { imagesPerSecond: 240, imagesPerCpuSecond: 100 } } }];
    const { ratioToSam } = compareRounds(looped, [], "native");
    expect(ratioToSam.msam).toEqual({ wallClock: 1.25, cpu: 1.5 });
  });

  test("no PyTorch result without an error gives no ratio to PyTorch; m-SAM / SAM uses only the first backend", () => {
    const { ratioToPytorch, ratioToSam } = compareRounds(ours, [{ steps: {}, error: "stopped" }], "wasm");
    expect(ratioToPytorch).toEqual({});
    expect(ratioToSam).toEqual({});
  });

  test("the table labels each round when there are several", () => {
    const tfjs = ours.slice(0, 2).map((r) => ({ ...r, backendLine: "", model: "resnet20", parameters: 1, batch: 128, kernels: {}, peakRssMiB: 900, tensorGrowth: 0 }));
    const report = { models: [{ model: "resnet20", tfjs, pytorch: pytorch.map((t) => ({ ...t, backend: "pytorch", threads: 2, peakRssMiB: 500 })), ...compareRounds(tfjs, pytorch, "native") }] };
    const lines = table(report as unknown as TrainingBenchReport).split("\n");
    expect(lines[1]).toMatch(/^resnet20\s+native #1\s+500\s+250/);
    expect(lines[2]).toMatch(/^resnet20\s+native #2\s+400\s+260/);
    expect(lines[4]).toMatch(/^resnet20\s+pytorch x2 #2\s+400\s+240/);
    expect(lines[5]).toMatch(/ours \/ pytorch\s+1\.25/);
  });
});

describe("choosing PyTorch's thread count", () => {
  test("the count with the least total time over the step kinds wins, not the one with the fastest SGD step", () => {
    // A hiccup in the 2-thread SGD step (170 img/s) while every other kind ran nearly twice as fast.
    const one = { threads: 1, steps: speeds(344, 174, 186) };
    const two = { threads: 2, steps: speeds(170, 296, 276) };
    expect(fasterThreadCount([one, two])).toBe(2);
    expect(fasterThreadCount([{ threads: 1, steps: speeds(344, 174, 186) }, { threads: 2, steps: speeds(300, 150, 160) }])).toBe(1);
  });

  test("results with an error do not count; kinds missing from a result are left out; nothing usable gives null", () => {
    const failed = { threads: 2, steps: speeds(900, 900, 900), error: "stopped after 30 s" };
    expect(fasterThreadCount([{ threads: 1, steps: speeds(344, 174, 186) }, failed])).toBe(1);
    const partial = { threads: 2, steps: { sgd: { imagesPerSecond: 100, imagesPerCpuSecond: 50 } } };
    expect(fasterThreadCount([{ threads: 1, steps: speeds(90, 10, 10) }, partial])).toBe(2);
    expect(fasterThreadCount([failed])).toBeNull();
  });
});
