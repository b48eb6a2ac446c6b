/**
 * `npx nx run bench:training` (part of `npm run bench`): images/s of SGD, SAM and m-SAM training
 * steps (batch 128 of random 32x32x3 images) for ResNet-20 (16-32-64), PreAct ResNet-18 of width 16
 * and of width 64, on each available tfjs backend (native addon, wasm) and, where PyTorch is
 * installed, the same steps in PyTorch on this CPU, with our ratio to it. Each (backend, model) runs
 * in its own process, which gives its peak memory and contains a crash. Writes
 * reports/bench/training.json and prints a table.
 *
 * Steps: SGD, SAM, m-SAM (the batch in --sub-batches sub-batches, looped as the official code does), and 8-SAM
 * and 16-SAM through SamOptimizer (all sub-batches at once on replicated weights where the backend has the
 * grouped kernels), each kind's steps one after another after its warm-up steps (warmupSteps; as the PyTorch twin
 * runs them), and a per-kernel time breakdown of each.
 *
 * Ours and PyTorch run in --rounds alternating rounds (ours, PyTorch, ours, PyTorch, ...); a step kind's speed on
 * each side is its best round (each round's value is the median of its timed steps), so a round slowed by
 * the machine counts against neither side.
 *
 * Flags: --models resnet20,preact10-w16,preact18-w16,preact18-w64  --backends native,wasm  --batch 128
 * --sub-batches 4  --rounds 2  --quick (batch 16, one timed step: a smoke run)  --no-pytorch  --no-profile (no kernel
 * breakdown)  --out FILE (instead of reports/bench/training.json)  --allow-load (run and write although the
 * 1-minute load average is above 0.5; without it the benchmark refuses, since the numbers would be noisy).
 * Environment: SAM_REPRO_PYTHON (a python with torch; default python3, then /usr/bin/python3).
 */
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { InputError, pythonCandidatesSetting, reportsDir, writeJsonAtomic } from "@sam-repro/runner";
import { loadNativeKernels } from "@sam-repro/runtime";
import { BENCH_MODEL_NAMES, type BenchModelName } from "./bench-models.js";
import { STEP_KINDS, runWorker, type StepKind, type WorkerRequest, type WorkerResult } from "./bench-worker.js";
import { STEP_LABELS, fmt, table } from "./bench-table.js";
import { compareRounds, fasterThreadCount, type MSamKind } from "./bench-ratios.js";

export { table };

const here = path.dirname(fileURLToPath(import.meta.url));
const BACKENDS = ["native", "wasm"] as const;
/** The highest 1-minute load average at which a comparison is written without --allow-load. */
export const MAX_QUIET_LOAD = 0.5;

export interface BenchOptions {
  models: BenchModelName[];
  backends: string[];
  batch: number;
  subBatches: number;
  quick: boolean;
  pytorch: boolean;
  profile: boolean;
  allowLoad: boolean;
  /** Alternating rounds of ours and PyTorch per model (the best round counts on each side). */
  rounds: number;
  /** Output file; default reports/bench/training.json. */
  out: string | null;
}

interface PytorchResult {
  backend: string;
  threads: number;
  /** 1-based round (see BenchOptions.rounds). */
  round?: number;
  steps: Partial<Record<StepKind, { imagesPerSecond: number; imagesPerCpuSecond: number; seconds: number[]; cpuSeconds: number[] }>>;
  peakRssMiB: number;
  error?: string;
}

export interface ModelReport {
  model: string;
  parameters: number | null;
  batch: number;
  subBatches: number;
  /** One entry per backend and round. */
  tfjs: (WorkerResult & { round?: number })[];
  /** PyTorch on this CPU, one entry per thread count tried and round; absent when torch is not installed. */
  pytorch: PytorchResult[];
  /** Step time of m-SAM (looped), 8-SAM and 16-SAM over SAM's on our first backend (best rounds; wall clock and CPU). */
  ratioToSam: Partial<Record<MSamKind, { wallClock: number; cpu: number }>>;
  /** Our best tfjs backend's images/s over PyTorch's best, per step kind (wall clock and per CPU second). */
  ratioToPytorch: Partial<Record<StepKind, { wallClock: number; perCpuSecond: number }>>;
}

export interface TrainingBenchReport {
  benchmark: "training";
  date: string;
  machine: { cpus: number; cpuModel: string; node: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  nativeAddon: string;
  settings: BenchOptions;
  models: ModelReport[];
  notes: string[];
  totalSeconds: number;
}

function parseArgs(argv: string[]): BenchOptions {
  const options: BenchOptions = { models: [...BENCH_MODEL_NAMES], backends: [...BACKENDS], batch: 128, subBatches: 4, quick: false, pytorch: true, profile: true, allowLoad: false, rounds: 2, out: null };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next == null) throw new InputError(`${flag} needs a value`);
      return next;
    };
    if (flag === "--models") {
      options.models = value().split(",") as BenchModelName[];
      for (const model of options.models) {
        if (!(BENCH_MODEL_NAMES as readonly string[]).includes(model)) throw new InputError(`--models: unknown model "${model}"; allowed: ${BENCH_MODEL_NAMES.join(", ")}`);
      }
    } else if (flag === "--backends") {
      options.backends = value().split(",");
      for (const backend of options.backends) {
        if (!(BACKENDS as readonly string[]).includes(backend)) throw new InputError(`--backends: unknown backend "${backend}"; allowed: ${BACKENDS.join(", ")}`);
      }
    } else if (flag === "--batch" || flag === "--sub-batches" || flag === "--rounds") {
      const text = value();
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1) throw new InputError(`${flag}: "${text}" is not allowed; expected a positive integer`);
      if (flag === "--batch") options.batch = n;
      else if (flag === "--rounds") options.rounds = n;
      else options.subBatches = n;
    } else if (flag === "--quick") options.quick = true;
    else if (flag === "--no-pytorch") options.pytorch = false;
    else if (flag === "--no-profile") options.profile = false;
    else if (flag === "--allow-load") options.allowLoad = true;
    else if (flag === "--out") options.out = path.resolve(value());
    else throw new InputError(`unknown flag ${flag}; allowed: --models, --backends, --batch, --sub-batches, --rounds, --quick, --no-pytorch, --no-profile, --allow-load, --out`);
  }
  if (options.quick) {
    options.batch = Math.min(options.batch, 16);
    options.rounds = 1;
  }
  if (options.batch % options.subBatches !== 0) throw new InputError(`--sub-batches: ${options.subBatches} does not divide the batch ${options.batch}`);
  return options;
}

/** Timed steps per kind: few for the big model, so that the whole benchmark takes minutes. */
function timedSteps(model: BenchModelName, options: BenchOptions): Record<StepKind, number> {
  if (options.quick || model === "preact18-w64") return { sgd: 1, sam: 1, msam: 1, msam8: 1, msam16: 1 };
  return { sgd: 5, sam: 5, msam: 5, msam8: 5, msam16: 5 };
}

/**
 * Untimed steps of each kind right before its timed ones, on both sides (the PyTorch twin's --warmup). Ours settle
 * slowly on the small nets (fresh process, 30 SGD steps in a row, ms: 1-block PreAct w16 164, 130, 92, 86, 80, 82, 81,
 * 81, 77, 77, then 75-81; ResNet-20 286, 237, 181, 177, 180, 173, 178, 184, 175, then 170-180), and by the fourth
 * step on PreAct-18 w64 (SGD 2.89, 2.06, 1.63, 1.54, 1.55 s), where each step costs seconds. PyTorch's steps are
 * as fast from the second as from the thirtieth. A training run lives in the steady state.
 */
function warmupSteps(model: BenchModelName): number {
  return model === "preact18-w64" ? 4 : 8;
}

function runTfjs(backend: string, model: BenchModelName, options: BenchOptions, log: (line: string) => void): WorkerResult {
  const request: WorkerRequest = {
    backend,
    model,
    batch: options.batch,
    subBatches: options.subBatches,
    // As many untimed steps before each kind's timed ones as the PyTorch twin runs.
    warmupSteps: warmupSteps(model),
    timedSteps: timedSteps(model, options),
    seed: 1,
    profile: options.profile,
  };
  // wasm is far slower: four warm-up steps and one timed step of each kind, and only SGD for the model that does not
  // fit its heap.
  if (backend === "wasm" && !options.quick) {
    request.warmupSteps = Math.min(request.warmupSteps, 4);
    request.timedSteps = model === "preact18-w64" ? { sgd: 1, sam: 0, msam: 0, msam8: 0, msam16: 0 } : { sgd: 1, sam: 1, msam: 1, msam8: 0, msam16: 0 };
  }
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--worker", JSON.stringify(request)], {
    encoding: "utf8",
    // A PreAct ResNet-18 w64 step takes seconds (tens on a slow machine), and each of the 5 kinds runs 6 (warm-up, timed,
    // profiled).
    timeout: model === "preact18-w64" && !options.quick ? 900_000 : 240_000,
    maxBuffer: 16 * 1024 * 1024,
    env: process.env,
  });
  const line = child.stdout?.split("\n").find((l) => l.startsWith("BENCH_RESULT "));
  if (line) return JSON.parse(line.slice("BENCH_RESULT ".length)) as WorkerResult;
  const reason = child.error ? child.error.message : `exit ${child.status}${child.signal ? ` (${child.signal})` : ""}: ${(child.stderr ?? "").trim().split("\n").slice(-1)[0] ?? ""}`;
  log(`  ${backend} ${model}: no result (${reason})`);
  return { backend, backendLine: backend, model, parameters: 0, batch: options.batch, steps: {}, kernels: {}, error: reason, peakRssMiB: 0, tensorGrowth: 0 };
}

function findPython(): string | null {
  for (const python of pythonCandidatesSetting()) {
    const probe = spawnSync(python, ["-c", "import torch"], { encoding: "utf8", timeout: 60_000 });
    if (probe.status === 0) return python;
  }
  return null;
}

function runPytorch(python: string, model: BenchModelName, threads: number, options: BenchOptions, timeoutMs = 240_000): PytorchResult {
  const steps = timedSteps(model, options);
  const args = [
    path.join(here, "pytorch_training_bench.py"),
    "--model", model, "--batch", String(options.batch), "--sub-batches", String(options.subBatches),
    "--warmup", String(warmupSteps(model)), "--sgd", String(steps.sgd), "--sam", String(steps.sam), "--msam", String(steps.msam),
    "--msam8", String(steps.msam8), "--msam16", String(steps.msam16), "--threads", String(threads),
  ];
  const child = spawnSync(python, args, { encoding: "utf8", timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  if (child.signal === "SIGTERM") {
    return { backend: "pytorch", threads, steps: {}, peakRssMiB: 0, error: `stopped after ${(timeoutMs / 1000).toFixed(0)} s` };
  }
  try {
    return JSON.parse(child.stdout.trim().split("\n").pop()!) as PytorchResult;
  } catch {
    return { backend: "pytorch", threads, steps: {}, peakRssMiB: 0, error: `no result (exit ${child.status}): ${(child.stderr ?? "").trim().split("\n").pop() ?? ""}` };
  }
}



/** Runs the benchmark; writes reports/bench/training.json unless `write` is false. */
export async function runTrainingBench(options: BenchOptions, log: (line: string) => void = console.log, write = true): Promise<TrainingBenchReport> {
  const started = performance.now();
  const loadAverageAtStart = os.loadavg();
  const tooBusy = (load: number[]) =>
    `the 1-minute load average is ${load[0]!.toFixed(2)} (> ${MAX_QUIET_LOAD}): other processes would make the comparison noisy; wait for a quiet machine or pass --allow-load (and --out FILE) to measure anyway`;
  if (write && !options.allowLoad && loadAverageAtStart[0]! > MAX_QUIET_LOAD) throw new InputError(`--allow-load: ${tooBusy(loadAverageAtStart)}`);
  const native = loadNativeKernels();
  const notes: string[] = [];
  const backends = options.backends.filter((backend) => backend !== "native" || native.kernels);
  if (options.backends.includes("native") && !native.kernels) notes.push(`native backend skipped: ${native.reason}`);
  notes.push("cpu backend (the reference) skipped: its convolution gradients are scalar JavaScript, about 0.6 SGD images/s on ResNet-20.");
  const python = options.pytorch ? findPython() : null;
  if (options.pytorch && !python) notes.push("PyTorch comparison skipped: no python3 with torch found (set SAM_REPRO_PYTHON, or apt-get install python3-torch).");
  if (!options.pytorch) notes.push("PyTorch comparison skipped (--no-pytorch).");
  // PyTorch runs with one thread and with all cores in each model's first round (the issue's "best of 1 and 2
  // threads"): under load from other processes its OpenMP threads can be many times slower than one, so the
  // multi-threaded run is stopped once it takes 1.5 times as long as the single-threaded one. Later rounds of the
  // model run only the count that was faster over all step kinds (fasterThreadCount).
  const allThreadCounts = [...new Set([1, os.availableParallelism()])];

  const models: ModelReport[] = [];
  for (const model of options.models) {
    log(`${model}:`);
    const tfjs: ModelReport["tfjs"] = [];
    const pytorch: PytorchResult[] = [];
    const roundLabel = (round: number) => (options.rounds > 1 ? ` [round ${round}/${options.rounds}]` : "");
    let torchThreads = allThreadCounts;
    // Alternate ours and PyTorch's runs, round after round, so that both see similar machine load.
    for (let round = 1; round <= options.rounds; round++) {
      for (const backend of backends) {
        const result = { ...runTfjs(backend, model, options, log), round };
        tfjs.push(result);
        log(`  ${result.backendLine}${roundLabel(round)}: ${STEP_KINDS.map((k) => `${STEP_LABELS[k]} ${fmt(result.steps[k]?.imagesPerSecond)}`).join(", ")} img/s; peak RSS ${result.peakRssMiB.toFixed(0)} MiB${result.error ? `; error: ${result.error}` : ""}`);
        if (backend === backends[0] && python) {
          let singleThreadMs = 0;
          for (const threads of torchThreads) {
            const start = performance.now();
            const torch = { ...runPytorch(python, model, threads, options, threads === 1 || singleThreadMs === 0 ? 240_000 : Math.max(30_000, Math.round(1.5 * singleThreadMs))), round };
            if (threads === 1) singleThreadMs = performance.now() - start;
            pytorch.push(torch);
            log(`  ${torch.backend} (${threads} thread${threads === 1 ? "" : "s"})${roundLabel(round)}: ${STEP_KINDS.map((k) => `${STEP_LABELS[k]} ${fmt(torch.steps[k]?.imagesPerSecond)}`).join(", ")} img/s${torch.error ? `; ${torch.error}` : ""}`);
          }
        }
      }
      const faster = torchThreads.length > 1 ? fasterThreadCount(pytorch) : null;
      if (faster !== null && round < options.rounds) {
        torchThreads = [faster];
        notes.push(`PyTorch ran with 1 and ${allThreadCounts.at(-1)} threads in round 1 of ${model}, then with ${faster} (the faster over all step kinds).`);
      }
    }
    const { ratioToSam, ratioToPytorch } = compareRounds(tfjs, pytorch, backends[0] ?? "");
    models.push({ model, parameters: tfjs.find((r) => r.parameters > 0)?.parameters ?? null, batch: options.batch, subBatches: options.subBatches, tfjs, pytorch, ratioToSam, ratioToPytorch });
  }

  const report: TrainingBenchReport = {
    benchmark: "training",
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "unknown", node: process.version, loadAverageAtStart, loadAverageAtEnd: os.loadavg() },
    nativeAddon: native.kernels ? `loaded (${native.kernels.vectorLanes} float lanes, ${native.kernels.threads()} threads)` : native.reason,
    settings: options,
    models,
    notes: [
      ...notes,
      `m-SAM splits the batch into ${options.subBatches} sub-batches of m = ${options.batch / options.subBatches} (SPEC 1.3a) and loops over them; 8-SAM and 16-SAM run through SamOptimizer, grouped where the backend has the kernels.`,
      ...(options.allowLoad ? [`measured with --allow-load at a load average of ${loadAverageAtStart[0]!.toFixed(2)} (start): compare ratios within this run, not absolute speeds.`] : []),
      "Ratios compare our fastest tfjs backend with PyTorch's fastest thread count, on wall clock and per CPU second (the latter is fair when other processes load the machine).",
      ...(options.rounds > 1 ? [`Each side ran ${options.rounds} alternating rounds per model; a step kind's speed is its best round (each round's value is the median of its timed steps).`] : []),
    ],
    totalSeconds: (performance.now() - started) / 1000,
  };
  log("");
  log(table(report));
  for (const note of report.notes) log(`note: ${note}`);
  const loadAtEnd = report.machine.loadAverageAtEnd;
  // The benchmark itself keeps every core busy, so the 1-minute load at its end counts its own threads too:
  // only load beyond one runnable thread per core means that other processes ran during the measurement.
  if (write && !options.allowLoad && loadAtEnd[0]! > MAX_QUIET_LOAD + os.cpus().length) {
    log(`not written: the 1-minute load average at the end is ${loadAtEnd[0]!.toFixed(2)} (> ${MAX_QUIET_LOAD} + ${os.cpus().length} for the benchmark's own threads): other processes ran during the measurement; rerun on a quiet machine or pass --allow-load (and --out FILE)`);
  } else if (write) {
    const file = options.out ?? path.join(reportsDir(), "bench", "training.json");
    writeJsonAtomic(file, report);
    log(`wrote ${file} (${report.totalSeconds.toFixed(0)} s)`);
  }
  return report;
}


if (process.argv[2] === "--worker") {
  const result = await runWorker(JSON.parse(process.argv[3]!) as WorkerRequest);
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
} else if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  try {
    await runTrainingBench(parseArgs(process.argv.slice(2)));
  } catch (error) {
    if (error instanceof InputError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}
