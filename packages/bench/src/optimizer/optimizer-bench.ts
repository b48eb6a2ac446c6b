/**
 * `npx nx run bench:optimizer` (part of `npm run bench`): images/s of SGD, SAM, USAM and 4-SAM (m = 32) steps of a ResNet-20 on a
 * batch of 128 random CIFAR-sized images on the active backend, their time ratios to SGD, and the issue's
 * targets (SAM / SGD <= 2.1; k-sub-batch m-SAM <= k SAM steps on batches of size m) on CPU time. Writes
 * reports/bench/optimizer.json and prints a table. Flags: --steps N (timed steps, default 5), --warmup N (default 2).
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { InputError, reportsDir, writeJsonAtomic } from "@sam-repro/runner";
import { describeBackend, initBackend } from "@sam-repro/runtime";
import { SamOptimizer, type SamOptions } from "@sam-repro/sam";
import { buildResNet20 } from "./resnet20.js";

export interface BenchSettings {
  batchSize: number;
  /** m of the m-SAM row (the batch splits into batchSize / subBatchSize sub-batches). */
  subBatchSize: number;
  warmupSteps: number;
  timedSteps: number;
  seed: number;
}

export const DEFAULT_BENCH_SETTINGS: BenchSettings = { batchSize: 128, subBatchSize: 32, warmupSteps: 2, timedSteps: 5, seed: 0 };

export interface BenchRow {
  name: string;
  options: SamOptions;
  batchSize: number;
  /** Wall-clock seconds of each timed step and their median. */
  stepSeconds: number[];
  medianStepSeconds: number;
  /** CPU seconds (user + system) of this process for each timed step and their median. */
  stepCpuSeconds: number[];
  medianCpuSeconds: number;
  /** batch size / median wall-clock step time. */
  imagesPerSecond: number;
  /** batch size / median CPU step time: the throughput of an otherwise idle core. */
  imagesPerCpuSecond: number;
  /** median CPU step time / SGD's median CPU step time at the full batch. */
  timeRatioToSgd: number;
}

export interface BenchTarget {
  statement: string;
  value: number;
  limit: number;
  met: boolean;
}

export interface BenchReport {
  benchmark: "optimizer";
  date: string;
  backend: string;
  model: string;
  parameters: number;
  settings: BenchSettings;
  rows: BenchRow[];
  targets: BenchTarget[];
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface Setup {
  name: string;
  options: SamOptions;
  batchSize: number;
  parameters: number;
  step: () => void;
  dispose: () => void;
  stepSeconds: number[];
  stepCpuSeconds: number[];
}

/** A fresh ResNet-20, a random batch and a SamOptimizer over SGD with momentum 0.9 for one configuration. */
function prepare(name: string, options: SamOptions, batchSize: number, seed: number): Setup {
  const model = buildResNet20(10, seed);
  const x = tf.randomUniform([batchSize, 32, 32, 3], 0, 1, "float32", seed + 1);
  const y = tf.tensor1d(Array.from({ length: batchSize }, (_, i) => (i * 7) % 10), "int32");
  const optimizer = new SamOptimizer(tf.train.momentum(0.05, 0.9), options, model.trainable);
  return {
    name,
    options,
    batchSize,
    parameters: model.parameterCount,
    // step() reads the loss back, so the timed interval contains all of the step's work.
    step: () => void optimizer.step(model.lossFn, { x, y }),
    dispose: () => {
      optimizer.dispose();
      model.dispose();
      tf.dispose([x, y]);
    },
    stepSeconds: [],
    stepCpuSeconds: [],
  };
}

/** Runs the benchmark and returns the report (no file written). `log` receives one line per finished row. */
export async function runOptimizerBench(settings: BenchSettings, log: (line: string) => void = () => {}): Promise<BenchReport> {
  const info = await initBackend();
  const backend = describeBackend(info);
  log(backend);
  const { batchSize, subBatchSize } = settings;
  const subBatches = batchSize / subBatchSize;
  const configurations: Array<[string, SamOptions, number]> = [
    ["SGD", { variant: "sgd" }, batchSize],
    ["SAM", { variant: "sam", rho: 0.05 }, batchSize],
    ["USAM", { variant: "usam", rho: 0.05 }, batchSize],
    [`${subBatches}-SAM (m = ${subBatchSize})`, { variant: "sam", rho: 0.05, subBatchSize }, batchSize],
    [`SAM, batch ${subBatchSize}`, { variant: "sam", rho: 0.05 }, subBatchSize],
  ];
  const setups = configurations.map(([name, options, size]) => prepare(name, options, size, settings.seed));
  let measured: Array<Omit<BenchRow, "timeRatioToSgd">>;
  try {
    for (const setup of setups) for (let s = 0; s < settings.warmupSteps; s++) setup.step();
    // Round-robin over the configurations, so that a change in machine load hits every row alike.
    for (let s = 0; s < settings.timedSteps; s++) {
      for (const setup of setups) {
        const start = performance.now();
        const cpuStart = process.cpuUsage();
        setup.step();
        const cpu = process.cpuUsage(cpuStart);
        setup.stepSeconds.push((performance.now() - start) / 1000);
        setup.stepCpuSeconds.push((cpu.user + cpu.system) / 1e6);
      }
      log(`timed round ${s + 1}/${settings.timedSteps}: ${setups.map((x) => `${x.name} ${x.stepSeconds[s]!.toFixed(2)} s (cpu ${x.stepCpuSeconds[s]!.toFixed(2)} s)`).join(", ")}`);
    }
    measured = setups.map(({ name, options, batchSize: size, stepSeconds, stepCpuSeconds }) => {
      const medianStepSeconds = median(stepSeconds);
      const medianCpuSeconds = median(stepCpuSeconds);
      return {
        name,
        options,
        batchSize: size,
        stepSeconds,
        medianStepSeconds,
        stepCpuSeconds,
        medianCpuSeconds,
        imagesPerSecond: size / medianStepSeconds,
        imagesPerCpuSecond: size / medianCpuSeconds,
      };
    });
  } finally {
    for (const setup of setups) setup.dispose();
  }
  // Ratios and targets use CPU time: the backend computes on one thread, so CPU time is the step's work even
  // when other processes share the machine (wall-clock time is reported beside it).
  const sgd = measured[0]!.medianCpuSeconds;
  const rows = measured.map((row) => ({ ...row, timeRatioToSgd: row.medianCpuSeconds / sgd }));
  const [, sam, , mSam, smallSam] = rows as [BenchRow, BenchRow, BenchRow, BenchRow, BenchRow];
  const mSamRatio = mSam.medianCpuSeconds / smallSam.medianCpuSeconds;
  const parameters = setups[0]!.parameters;
  return {
    benchmark: "optimizer",
    date: new Date().toISOString(),
    backend,
    model: "ResNet-20 (3 stages x 3 basic blocks, widths 16-32-64, BatchNorm), 32x32x3 random input, 10 classes",
    parameters,
    settings,
    rows,
    targets: [
      { statement: "SAM step CPU time / SGD step CPU time <= 2.1", value: sam.timeRatioToSgd, limit: 2.1, met: sam.timeRatioToSgd <= 2.1 },
      {
        statement: `${subBatches}-SAM step CPU time (batch ${batchSize}) / SAM step CPU time at batch ${subBatchSize} <= ${subBatches}`,
        value: mSamRatio,
        limit: subBatches,
        met: mSamRatio <= subBatches,
      },
    ],
  };
}

/** The printed table. */
export function formatBenchTable(report: BenchReport): string {
  const header = ["optimizer", "batch", "median step (s)", "images/s", "median CPU (s)", "images/CPU s", "CPU time / SGD"];
  const lines = report.rows.map((r) => [
    r.name,
    String(r.batchSize),
    r.medianStepSeconds.toFixed(3),
    r.imagesPerSecond.toFixed(1),
    r.medianCpuSeconds.toFixed(3),
    r.imagesPerCpuSecond.toFixed(1),
    r.timeRatioToSgd.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  const targets = report.targets.map((t) => `${t.met ? "met    " : "NOT met"}  ${t.statement}: ${t.value.toFixed(2)}`);
  return [row(header), row(widths.map((w) => "-".repeat(w))), ...lines.map(row), "", ...targets].join("\n");
}

function parseFlag(argv: string[], flag: string, fallback: number, min: number): number {
  const index = argv.indexOf(flag);
  if (index < 0) return fallback;
  const value = Number(argv[index + 1]);
  if (!Number.isInteger(value) || value < min) throw new InputError(`${flag}: must be an integer >= ${min}, got ${argv[index + 1]}`);
  return value;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const settings: BenchSettings = {
    ...DEFAULT_BENCH_SETTINGS,
    timedSteps: parseFlag(argv, "--steps", DEFAULT_BENCH_SETTINGS.timedSteps, 1),
    warmupSteps: parseFlag(argv, "--warmup", DEFAULT_BENCH_SETTINGS.warmupSteps, 0),
  };
  const report = await runOptimizerBench(settings, (line) => console.log(line));
  const file = path.join(reportsDir(), "bench", "optimizer.json");
  writeJsonAtomic(file, report);
  console.log(`\n${formatBenchTable(report)}\n\nwritten: ${file}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(error instanceof InputError ? 2 : 1);
  });
}
