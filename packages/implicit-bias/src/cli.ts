import type { Command } from "commander";
import { InputError, createProgress, type Progress } from "@sam-repro/runner";
import { DIAG_NET_METHODS, DiagNetTrainer, initialState, type DiagNetMethod, type DiagNetOptions, type DiagNetRun, type DiagNetState } from "./diag-net.js";
import { generateSparseRegression, type RegressionProblem } from "./problem.js";
import { loadProblemFile } from "./problem-file.js";

/** Raw `diag-net` flags as commander hands them over (strings until validated). */
export interface DiagNetFlags {
  method?: string;
  gamma?: string;
  alpha?: string;
  rho?: string;
  iters?: string;
  problem?: string;
  n?: string;
  d?: string;
  r?: string;
  nTest?: string;
  seed?: string;
  weightDecay?: string;
  balancedness?: string;
  normalizedGd?: boolean;
  thresholds?: string;
  lossDerivativeOnly?: boolean;
  sgdSeed?: string;
  json?: boolean;
}

/** The outcome `diag-net` prints; non-finite losses become null in JSON. */
export interface DiagNetSummary {
  trainLoss: number;
  testLoss: number;
  diverged: boolean;
  iterations: number;
  seconds: number;
}

const GENERATOR_DEFAULTS = { n: 20, d: 30, r: 3, nTest: 1000, seed: 0 };

/** Adds `sam-repro diag-net`: one diagonal-net training run (SPEC 1.5) on a generated or user-supplied problem. */
export function registerCommands(program: Command): void {
  program
    .command("diag-net")
    .description("train a diagonal linear network beta = u*v (u0 = alpha, v0 = 0) once and print the final losses")
    .option("--method <name>", `training method (required): ${DIAG_NET_METHODS.join(" | ")}`)
    .option("--gamma <number>", "step size (required, > 0)")
    .option("--alpha <number>", "initialization scale alpha (> 0)", "0.1")
    .option("--rho <number>", "n-SAM: ascent multiplier; 1-SAM: the official rho (ascent radius 2 rho); >= 0", "0")
    .option("--iters <integer>", "number of steps (>= 1)", "10001")
    .option("--problem <file>", 'JSON problem {"X": [[...]], "y": [...], "Xtest": [[...]], "ytest": [...]} instead of a generated one')
    .option("--n <integer>", `training points of the generated problem (default ${GENERATOR_DEFAULTS.n})`)
    .option("--d <integer>", `dimension of the generated problem (default ${GENERATOR_DEFAULTS.d})`)
    .option("--r <integer>", `non-zero coordinates of beta* (default ${GENERATOR_DEFAULTS.r})`)
    .option("--n-test <integer>", `test points of the generated problem (default ${GENERATOR_DEFAULTS.nTest})`)
    .option("--seed <integer>", `data seed of the generated problem (default ${GENERATOR_DEFAULTS.seed})`)
    .option("--weight-decay <number>", "gd only: official wd term, u <- u - gamma grad_u - wd u (>= 0)")
    .option("--balancedness <number>", "gd only: official balancedness term (>= 0)")
    .option("--normalized-gd", "gd only: normalize grad_u and grad_v separately")
    .option("--thresholds <list>", "gd only: comma-separated 0-based iterations after which gamma is halved")
    .option("--loss-derivative-only", "1sam only: descent factor at the unperturbed u, v")
    .option("--sgd-seed <integer>", "sgd only: seed of the example sampler (default 0)")
    .option("--json", "print one JSON object {trainLoss, testLoss, diverged, iterations, seconds}")
    .action((flags: DiagNetFlags) => {
      const summary = runDiagNetCommand(flags);
      process.stdout.write(formatSummary(summary, flags.json ?? false));
    });
}

/** Validates the flags, builds the problem, trains once; `seconds` covers the training only. */
export function runDiagNetCommand(flags: DiagNetFlags): DiagNetSummary {
  const method = parseChoice("--method", flags.method, DIAG_NET_METHODS);
  const gamma = parseNumber("--gamma", flags.gamma, { positive: true });
  const alpha = parseNumber("--alpha", flags.alpha ?? "0.1", { positive: true });
  const rho = parseNumber("--rho", flags.rho ?? "0", { min: 0 });
  const iterations = parseInteger("--iters", flags.iters ?? "10001", 1);
  const problem = buildProblem(flags);
  const gdOnly = { "--weight-decay": flags.weightDecay, "--balancedness": flags.balancedness, "--normalized-gd": flags.normalizedGd, "--thresholds": flags.thresholds };
  for (const [flag, value] of Object.entries(gdOnly)) {
    if (value !== undefined && method !== "gd") throw new InputError(`${flag}: applies to --method gd only (got --method ${method})`);
  }
  if (flags.lossDerivativeOnly && method !== "1sam") {
    throw new InputError(`--loss-derivative-only: applies to --method 1sam only (got --method ${method})`);
  }
  if (flags.sgdSeed !== undefined && method !== "sgd") throw new InputError(`--sgd-seed: applies to --method sgd only (got --method ${method})`);
  const trainer = new DiagNetTrainer(problem);
  const started = performance.now();
  const run = runWithProgress(trainer, initialState(problem.d, alpha), {
    method: method as DiagNetMethod,
    gamma,
    rho,
    iterations,
    ...(flags.weightDecay !== undefined ? { weightDecay: parseNumber("--weight-decay", flags.weightDecay, { min: 0 }) } : {}),
    ...(flags.balancedness !== undefined ? { balancedness: parseNumber("--balancedness", flags.balancedness, { min: 0 }) } : {}),
    ...(flags.normalizedGd ? { normalizedGd: true } : {}),
    ...(flags.thresholds !== undefined ? { thresholds: parseThresholds(flags.thresholds) } : {}),
    ...(flags.lossDerivativeOnly ? { lossDerivativeOnly: true } : {}),
    ...(flags.sgdSeed !== undefined ? { seed: parseInteger("--sgd-seed", flags.sgdSeed, 0) } : {}),
  });
  const seconds = (performance.now() - started) / 1000;
  return { trainLoss: run.trainLoss, testLoss: run.testLoss, diverged: run.diverged, iterations: run.steps, seconds };
}

/** Runs longer than this (estimated from the first chunk) show a progress bar with ETA on stderr. */
const PROGRESS_AFTER_SECONDS = 3;

/**
 * `trainer.run` in 100 chunks with a progress bar (ETA) between them, shown when the run will take more
 * than a few seconds. For gd, n-SAM and 1-SAM a step depends only on (u, v) and gamma, so the chunks
 * continue the run exactly: each chunk gets the thresholds that fall inside it (shifted) and the gamma
 * halved as often as the whole run would have. SGD's example sampler is seeded once per run, so SGD
 * runs in one piece without a bar.
 */
export function runWithProgress(
  trainer: DiagNetTrainer,
  start: DiagNetState,
  options: DiagNetOptions,
  makeProgress: (total: number) => Progress = (total) => createProgress("diag-net", total, 2),
): DiagNetRun {
  if (options.method === "sgd" || options.iterations < 100) return trainer.run(start, options);
  const chunk = Math.ceil(options.iterations / 100);
  const thresholds = [...new Set(options.thresholds ?? [])];
  const started = performance.now();
  let progress: Progress | null = null;
  let state = start;
  let gamma = options.gamma;
  let steps = 0;
  let run: DiagNetRun | null = null;
  while (steps < options.iterations) {
    const length = Math.min(chunk, options.iterations - steps);
    const inChunk = thresholds.filter((t) => t >= steps && t < steps + length).map((t) => t - steps);
    run = trainer.run(state, { ...options, gamma, iterations: length, thresholds: inChunk });
    steps += run.steps;
    if (run.diverged) break;
    gamma /= 2 ** inChunk.length; // exact: a power of two
    state = { u: run.u, v: run.v };
    const elapsed = (performance.now() - started) / 1000;
    if (!progress && (elapsed * options.iterations) / steps > PROGRESS_AFTER_SECONDS) progress = makeProgress(options.iterations);
    progress?.update(steps, { "train loss": run.trainLoss });
  }
  progress?.stop();
  return { ...run!, steps };
}

/** One JSON line (non-finite numbers as null) or a human-readable line. */
export function formatSummary(summary: DiagNetSummary, json: boolean): string {
  if (json) {
    return `${JSON.stringify(summary, (_key, value: unknown) => (typeof value === "number" && !Number.isFinite(value) ? null : value))}\n`;
  }
  const loss = (value: number) => (Number.isFinite(value) ? value.toExponential(4) : String(value));
  return (
    `train loss ${loss(summary.trainLoss)}, test loss ${loss(summary.testLoss)}, ` +
    `diverged: ${summary.diverged ? `yes (after ${summary.iterations} steps)` : "no"}, ` +
    `${summary.iterations} iterations in ${summary.seconds.toFixed(3)} s\n`
  );
}

function buildProblem(flags: DiagNetFlags): RegressionProblem {
  const generatorFlags = { "--n": flags.n, "--d": flags.d, "--r": flags.r, "--n-test": flags.nTest, "--seed": flags.seed };
  if (flags.problem !== undefined) {
    const given = Object.entries(generatorFlags).filter(([, value]) => value !== undefined).map(([flag]) => flag);
    if (given.length) throw new InputError(`--problem: cannot be combined with ${given.join(", ")} (those describe a generated problem)`);
    return loadProblemFile(flags.problem);
  }
  const n = parseInteger("--n", flags.n ?? String(GENERATOR_DEFAULTS.n), 1);
  const d = parseInteger("--d", flags.d ?? String(GENERATOR_DEFAULTS.d), 1);
  const r = parseInteger("--r", flags.r ?? String(GENERATOR_DEFAULTS.r), 1);
  if (r > d) throw new InputError(`--r: ${r} exceeds --d ${d}; allowed: 1 <= r <= d`);
  const nTest = parseInteger("--n-test", flags.nTest ?? String(GENERATOR_DEFAULTS.nTest), 1);
  const seed = parseInteger("--seed", flags.seed ?? String(GENERATOR_DEFAULTS.seed), 0);
  return generateSparseRegression({ n, d, r, nTest, seed });
}

function parseChoice<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T {
  if (value === undefined || !(allowed as readonly string[]).includes(value)) {
    throw new InputError(`${flag}: ${value === undefined ? "missing" : `"${value}" is not allowed`}; allowed values: ${allowed.join(", ")}`);
  }
  return value as T;
}

function parseNumber(flag: string, value: string | undefined, rule: { positive?: boolean; min?: number }): number {
  const allowed = rule.positive ? "a number > 0" : `a number >= ${rule.min ?? "-Infinity"}`;
  if (value === undefined) throw new InputError(`${flag}: missing; expected ${allowed}`);
  const parsed = value.trim() === "" ? Number.NaN : Number(value);
  if (!Number.isFinite(parsed) || (rule.positive && parsed <= 0) || (rule.min !== undefined && parsed < rule.min)) {
    throw new InputError(`${flag}: "${value}" is not allowed; expected ${allowed}`);
  }
  return parsed;
}

function parseInteger(flag: string, value: string, min: number): number {
  const parsed = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min) throw new InputError(`${flag}: "${value}" is not allowed; expected an integer >= ${min}`);
  return parsed;
}

function parseThresholds(value: string): number[] {
  return value.split(",").map((part) => parseInteger("--thresholds", part, 0));
}
