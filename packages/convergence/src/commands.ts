/**
 * `sam-repro convergence ...`: the SPEC 2.4 checks one configuration at a time.
 *   stability   deterministic USAM on a quadratic: predicted vs measured stability and rate
 *   cycle       normalized SAM on lambda w^2/2: the 2-cycle amplitude vs the iterates
 *   stochastic  one stochastic SGD / USAM / SAM run on the CIFAR-10 problem with the Theorem 2 bound
 * Every flag is validated (an InputError names the flag, the value and what is allowed); --json prints one object.
 */
import type { Command } from "commander";
import { z } from "zod";
import { InputError, loadExperiment, validate } from "@sam-repro/runner";
import { SeededRandom } from "@sam-repro/runtime";
import { RATE_ID } from "./experiments/stochastic-convergence-rate.js";
import { loadProblem } from "./experiments/shared.js";
import { empiricalRate, quadraticWithSpectrum, runOnQuadratic } from "./quadratic.js";
import { oneDimensionalCycles, unitStart } from "./quadratic-experiments.js";
import { problemSettingsSchema, rateSettingsSchema } from "./settings.js";
import { STOCHASTIC_METHODS, runStochastic } from "./stochastic-experiment.js";
import {
  isUsamStable,
  theorem2Bound,
  twoCycleAmplitude,
  usamCriticalRho,
  usamCriticalStepSize,
  usamSpectralRadius,
  usamStabilityProduct,
} from "./theory.js";

const positiveNumber = z.coerce.number().finite().positive();
const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const numberList = z
  .string()
  .transform((text) => text.split(",").map((part) => Number(part.trim())))
  .pipe(z.array(z.number().finite().positive()).min(1).max(64));

const stabilityFlags = z
  .strictObject({
    "--gamma": positiveNumber,
    "--rho": z.coerce.number().finite().min(0),
    "--lambda-max": positiveNumber.optional(),
    "--eigenvalues": numberList.optional(),
    "--steps": count(2, 1_000_000),
    "--seed": count(0, 2 ** 31),
  })
  .refine((flags) => flags["--lambda-max"] !== undefined || flags["--eigenvalues"] !== undefined, {
    message: "give --lambda-max or --eigenvalues",
  });

const cycleFlags = z.strictObject({
  "--gamma": positiveNumber,
  "--rho": positiveNumber,
  "--lambda": positiveNumber,
  "--w0": z.coerce.number().finite(),
  "--steps": count(2, 1_000_000),
  "--tail": count(2, 1_000_000),
});

const stochasticFlags = z.strictObject({
  "--method": z.enum(STOCHASTIC_METHODS),
  "--steps": count(1, 100_000_000),
  "--batch-size": count(1, 100_000),
  "--gamma": positiveNumber.optional(),
  "--rho": z.coerce.number().finite().min(0).optional(),
  "--seed": count(0, 2 ** 31),
  "--evaluations": count(2, 1_000_000),
  "--classes": z
    .string()
    .transform((text) => text.split(",").map((part) => Number(part.trim())))
    .optional(),
  "--max-examples": count(10, 10_000).optional(),
});

interface JsonOption {
  json?: boolean;
}

/** Prints `report` as one JSON line (--json) or as aligned "key: value" lines. */
function print(report: Record<string, unknown>, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const width = Math.max(...Object.keys(report).map((key) => key.length));
  for (const [key, value] of Object.entries(report)) {
    process.stdout.write(`${key.padEnd(width)}  ${typeof value === "object" ? JSON.stringify(value) : String(value)}\n`);
  }
}

/** Commander's camelCase options back under their flag names, so validation messages name the flag. */
function flags(options: Record<string, unknown>, names: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const key = name.slice(2).replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
    if (options[key] !== undefined) out[name] = options[key];
  }
  return out;
}

/** validate() with the given flag values appended to the message, so an error shows what was passed. */
function validateFlags<T extends z.ZodType>(schema: T, raw: Record<string, unknown>, source: string): z.infer<T> {
  try {
    return validate(schema, raw, source);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const given = Object.entries(raw).map(([flag, value]) => `${flag} ${String(value)}`).join(", ");
    throw new InputError(`${error.message}
(given: ${given || "no flags"})`);
  }
}

/** `sam-repro convergence stability`: SPEC 2.4's USAM stability condition, predicted and measured. */
export function stabilityReport(raw: Record<string, unknown>): Record<string, unknown> {
  const options = validateFlags(stabilityFlags, raw, "sam-repro convergence stability");
  const spectrum = options["--eigenvalues"] ?? [options["--lambda-max"]!];
  const lambdaMax = Math.max(...spectrum);
  if (options["--lambda-max"] !== undefined && options["--eigenvalues"] !== undefined && options["--lambda-max"] !== lambdaMax) {
    throw new InputError(
      `sam-repro convergence stability: --lambda-max ${options["--lambda-max"]} differs from the largest of --eigenvalues (${lambdaMax}); give one of them`,
    );
  }
  const gamma = options["--gamma"];
  const rho = options["--rho"];
  const quadratic = quadraticWithSpectrum(spectrum, spectrum.length > 1 ? options["--seed"] : null);
  const run = runOnQuadratic(quadratic, { variant: "usam", gamma, rho, steps: options["--steps"] }, unitStart(spectrum.length, options["--seed"]));
  const rate = empiricalRate(run);
  return {
    lambdaMax,
    eigenvalues: spectrum,
    gamma,
    rho,
    product: usamStabilityProduct(gamma, rho, lambdaMax),
    predictedStable: isUsamStable(gamma, rho, lambdaMax),
    criticalGamma: usamCriticalStepSize(rho, lambdaMax),
    criticalRho: usamCriticalRho(gamma, lambdaMax),
    predictedRate: usamSpectralRadius(gamma, rho, quadratic.spectrum),
    measuredRate: rate,
    measuredStable: rate < 1,
    finalNorm: run.norms[run.norms.length - 1],
    steps: run.steps,
    diverged: run.diverged,
  };
}

/** `sam-repro convergence cycle`: SPEC 2.4's 2-cycle of normalized SAM in 1-D. */
export function cycleReport(raw: Record<string, unknown>): Record<string, unknown> {
  const options = validateFlags(cycleFlags, raw, "sam-repro convergence cycle");
  const lambda = options["--lambda"];
  const gammaLambda = options["--gamma"] * lambda;
  const amplitude = twoCycleAmplitude(options["--gamma"], options["--rho"], lambda);
  if (!(gammaLambda > 0 && gammaLambda < 2)) {
    return { gammaLambda, amplitude: null, note: "gamma * lambda must lie in (0, 2) for the 2-cycle; the iteration diverges otherwise" };
  }
  const [cycle] = oneDimensionalCycles({
    lambda,
    rho: options["--rho"],
    gammaLambdas: [gammaLambda],
    initial: options["--w0"],
    steps: options["--steps"],
    tail: Math.min(options["--tail"], options["--steps"]),
  });
  return {
    gammaLambda,
    predictedAmplitude: amplitude,
    lastIterates: cycle!.iterates.slice(-4),
    relativeError: cycle!.relativeError,
    alternates: cycle!.alternates,
  };
}

/** `sam-repro convergence stochastic`: one run on the CIFAR-10 problem and the Theorem 2 bound (SPEC 2.4). */
export function stochasticReport(raw: Record<string, unknown>): Record<string, unknown> {
  const options = validateFlags(stochasticFlags, raw, "sam-repro convergence stochastic");
  const defaults = loadExperiment(RATE_ID, "cpu", rateSettingsSchema).settings.problem;
  const problemSettings = validate(
    problemSettingsSchema,
    {
      ...defaults,
      ...(options["--classes"] ? { classes: options["--classes"] } : {}),
      ...(options["--max-examples"] ? { maxExamples: options["--max-examples"] } : {}),
    },
    "sam-repro convergence stochastic: --classes / --max-examples",
  );
  const loaded = loadProblem(problemSettings);
  if (!loaded.found) return { notRun: loaded.reason };
  const { problem, initial, analysis } = loaded;
  const beta = analysis.beta;
  const steps = options["--steps"];
  const gamma = options["--gamma"] ?? (1 / (4 * beta)) * Math.sqrt(100 / Math.max(steps, 100));
  const rho = options["--method"] === "sgd" ? 0 : (options["--rho"] ?? 1 / (4 * beta));
  const result = runStochastic(problem, initial, {
    method: options["--method"],
    gamma,
    rho,
    steps,
    batchSize: options["--batch-size"],
    seed: options["--seed"],
    evaluations: Math.min(options["--evaluations"], steps),
    averageFrom: 0.5,
  });
  const sigma2 = Math.max(analysis.initialGradientVariance, analysis.criticalGradientVariance, result.maxGradientVariance);
  const bound = theorem2Bound({
    initialGap: analysis.initialLoss - Math.min(analysis.criticalLoss, result.minLoss),
    gamma,
    rho,
    steps,
    beta,
    sigma2,
    batchSize: options["--batch-size"],
  });
  return {
    problem: `${analysis.exampleCount} examples of classes ${problemSettings.classes.join(" vs ")}, d = ${analysis.dimension}`,
    beta,
    sigma2,
    method: options["--method"],
    gamma,
    rho,
    steps,
    batchSize: options["--batch-size"],
    seed: options["--seed"],
    averageGradientNormSquared: result.averageGradientNormSquared,
    averagedIterateGradientNormSquared: result.averagedIterateGradientNormSquared,
    finalLoss: result.finalLoss,
    localMinimumLoss: analysis.criticalLoss,
    diverged: result.diverged,
    bound,
  };
}

/** Adds --json and the action: validate the command's flags, build the report, print it. */
function withReport(report: (raw: Record<string, unknown>) => Record<string, unknown>, command: Command): Command {
  return command.option("--json", "print one JSON object").action((options: Record<string, unknown> & JsonOption) => {
    const names = command.options.map((option) => option.long!).filter((name) => name !== "--json");
    print(report(flags(options, names)), options.json);
  });
}

/** Adds `sam-repro convergence <stability|cycle|stochastic>`. */
export function registerCommands(program: Command): void {
  const convergence = program
    .command("convergence")
    .description("convergence of SAM/USAM (SPEC 2.4): quadratics and a stochastic non-convex problem");
  const stability = convergence
    .command("stability")
    .description("deterministic USAM on 0.5 w^T H w: is gamma lambda_max (1 + rho lambda_max) < 2, and what a run does")
    .requiredOption("--gamma <number>", "step size gamma > 0")
    .requiredOption("--rho <number>", "perturbation radius rho >= 0")
    .option("--lambda-max <number>", "largest eigenvalue of H (a 1-D quadratic unless --eigenvalues)")
    .option("--eigenvalues <list>", "comma-separated spectrum of H (random eigenbasis from --seed)")
    .option("--steps <n>", "steps of the measured run", "400")
    .option("--seed <n>", "seed of the start point and eigenbasis", "0");
  withReport(stabilityReport, stability);
  const cycle = convergence
    .command("cycle")
    .description("normalized SAM on lambda w^2 / 2 with constant rho: the 2-cycle +-gamma lambda rho / (2 - gamma lambda)")
    .requiredOption("--gamma <number>", "step size gamma > 0")
    .requiredOption("--rho <number>", "perturbation radius rho > 0")
    .option("--lambda <number>", "curvature lambda > 0", "1")
    .option("--w0 <number>", "starting point", "2")
    .option("--steps <n>", "steps", "200")
    .option("--tail <n>", "last iterates compared with +-A", "10");
  withReport(cycleReport, cycle);
  const stochastic = convergence
    .command("stochastic")
    .description("one stochastic run on the non-convex CIFAR-10 problem, with the reconstructed Theorem 2 bound")
    .requiredOption("--method <name>", `one of ${STOCHASTIC_METHODS.join(", ")}`)
    .option("--steps <n>", "horizon T", "10000")
    .option("--batch-size <n>", "batch size b (drawn with replacement)", "4")
    .option("--gamma <number>", "step size (default 1/(4 beta) * sqrt(100 / T))")
    .option("--rho <number>", "radius (default 1/(4 beta); ignored for sgd)")
    .option("--seed <n>", "seed of the batch draws", "0")
    .option("--evaluations <n>", "full-gradient evaluations along the run", "200")
    .option("--classes <a,b>", "two CIFAR-10 classes (default: the experiment config's)")
    .option("--max-examples <n>", "examples of the two classes to use (default: the config's)");
  withReport(stochasticReport, stochastic);
}
