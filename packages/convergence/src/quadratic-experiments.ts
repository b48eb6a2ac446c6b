/**
 * The quadratic experiments of SPEC 5.A5 (issue 5 part 1) as pure functions: the empirical USAM stability map over
 * (gamma, rho), the boundary probes just below and above gamma*, the 1-D normalized-SAM 2-cycle and the distance
 * floor in higher dimension with constant and decaying rho. All runs go through Float64Sam.
 */
import { SeededRandom } from "@sam-repro/runtime";
import { empiricalRate, quadraticWithSpectrum, runOnQuadratic, type Quadratic } from "./quadratic.js";
import {
  isUsamStable,
  normalizedSamDistanceFloor,
  twoCycleAmplitude,
  usamCriticalStepSize,
  usamSpectralRadius,
  usamStabilityProduct,
} from "./theory.js";

/** A random starting point with unit norm (every eigen-direction present almost surely). */
export function unitStart(dimension: number, seed: number): Float64Array {
  const w = new SeededRandom(seed).fillNormal(new Float64Array(dimension)) as Float64Array;
  const length = Math.hypot(...w);
  for (let i = 0; i < dimension; i++) w[i]! /= length;
  return w;
}

/** `count` values evenly spaced from `min` to `max`, linearly or logarithmically. */
export function grid(min: number, max: number, count: number, scale: "linear" | "log"): number[] {
  if (count === 1) return [min];
  return Array.from({ length: count }, (_, i) => {
    const fraction = i / (count - 1);
    return scale === "log" ? min * Math.pow(max / min, fraction) : min + (max - min) * fraction;
  });
}

export interface StabilityMapSettings {
  spectrum: number[];
  /** Seed of the random eigenbasis (null: diagonal H). */
  basisSeed: number | null;
  initialSeed: number;
  gammas: number[];
  rhos: number[];
  steps: number;
}

export interface StabilityPoint {
  gamma: number;
  rho: number;
  /** gamma lambda_max (1 + rho lambda_max). */
  product: number;
  predictedStable: boolean;
  /** max_i |1 - gamma lambda_i (1 + rho lambda_i)|. */
  predictedRate: number;
  empiricalRate: number;
  empiricalStable: boolean;
  diverged: boolean;
  finalNorm: number;
}

/** Runs deterministic USAM at every (gamma, rho) of the grid and compares with the prediction of SPEC 2.4. */
export function stabilityMap(settings: StabilityMapSettings): StabilityPoint[] {
  const quadratic = quadraticWithSpectrum(settings.spectrum, settings.basisSeed);
  const lambdaMax = Math.max(...settings.spectrum);
  const start = unitStart(quadratic.dimension, settings.initialSeed);
  const points: StabilityPoint[] = [];
  for (const rho of settings.rhos) {
    for (const gamma of settings.gammas) points.push(probe(quadratic, lambdaMax, gamma, rho, settings.steps, start));
  }
  return points;
}

export interface BoundaryProbe extends StabilityPoint {
  /** gamma / gamma*(rho). */
  factor: number;
}

/** USAM at gamma = factor * gamma*(rho) for each rho and factor (e.g. 0.98 and 1.02: just inside and just outside). */
export function boundaryProbes(
  settings: Omit<StabilityMapSettings, "gammas"> & { factors: number[] },
): BoundaryProbe[] {
  const quadratic = quadraticWithSpectrum(settings.spectrum, settings.basisSeed);
  const lambdaMax = Math.max(...settings.spectrum);
  const start = unitStart(quadratic.dimension, settings.initialSeed);
  return settings.rhos.flatMap((rho) =>
    settings.factors.map((factor) => ({
      factor,
      ...probe(quadratic, lambdaMax, factor * usamCriticalStepSize(rho, lambdaMax), rho, settings.steps, start),
    })),
  );
}

function probe(quadratic: Quadratic, lambdaMax: number, gamma: number, rho: number, steps: number, start: Float64Array): StabilityPoint {
  const run = runOnQuadratic(quadratic, { variant: "usam", gamma, rho, steps }, start);
  const rate = empiricalRate(run);
  return {
    gamma,
    rho,
    product: usamStabilityProduct(gamma, rho, lambdaMax),
    predictedStable: isUsamStable(gamma, rho, lambdaMax),
    predictedRate: usamSpectralRadius(gamma, rho, quadratic.spectrum),
    empiricalRate: rate,
    empiricalStable: rate < 1,
    diverged: run.diverged,
    finalNorm: run.norms[run.norms.length - 1]!,
  };
}

export interface CycleRun {
  gammaLambda: number;
  predictedAmplitude: number;
  iterates: number[];
  /** max over the last `tail` steps of | |w_t| - A | / A. */
  relativeError: number;
  /** Whether the sign flips at every one of the last `tail` steps. */
  alternates: boolean;
}

/** Normalized SAM (Float64Sam variant "sam", constant rho) on lambda w^2 / 2 for each gamma lambda (SPEC 2.4). */
export function oneDimensionalCycles(settings: {
  lambda: number;
  rho: number;
  gammaLambdas: number[];
  initial: number;
  steps: number;
  tail: number;
}): CycleRun[] {
  const quadratic = quadraticWithSpectrum([settings.lambda], null);
  return settings.gammaLambdas.map((gammaLambda) => {
    const gamma = gammaLambda / settings.lambda;
    const run = runOnQuadratic(
      quadratic,
      { variant: "sam", gamma, rho: settings.rho, steps: settings.steps },
      Float64Array.of(settings.initial),
      true,
    );
    const iterates = run.iterates!.map((w) => w[0]!);
    const amplitude = twoCycleAmplitude(gamma, settings.rho, settings.lambda);
    const tail = iterates.slice(-settings.tail);
    return {
      gammaLambda,
      predictedAmplitude: amplitude,
      iterates,
      relativeError: Math.max(...tail.map((w) => Math.abs(Math.abs(w) - amplitude) / amplitude)),
      alternates: tail.every((w, i) => i === 0 || Math.sign(w) === -Math.sign(tail[i - 1]!)),
    };
  });
}

export interface FloorRun {
  label: string;
  variant: "sam" | "usam";
  gamma: number;
  /** Constant rho, or the schedule rho_0 (t+1)^(-power) written out. */
  rhoDescription: string;
  /** ||w_t|| for t = 0..steps. */
  norms: number[];
  /** The predicted limit of ||w_t|| (the floor for constant rho; the final instantaneous amplitude for decaying rho; 0 for USAM). */
  predicted: number;
  /** Mean of ||w_t|| over the last `tail` steps. */
  tailMean: number;
  diverged: boolean;
}

/**
 * Distance to the minimizer of 0.5 w^T H w (d > 1) under normalized SAM with constant rho (a floor at
 * gamma lambda_max rho / (2 - gamma lambda_max)), normalized SAM with rho_t = rho_0 (t+1)^(-power) (-> 0) and
 * USAM with constant rho (-> 0), each from the same start (SPEC 2.4).
 */
export function distanceFloorRuns(settings: {
  spectrum: number[];
  basisSeed: number | null;
  initialSeed: number;
  initialNorm: number;
  rho: number;
  gammas: number[];
  decayPower: number;
  steps: number;
  tail: number;
}): FloorRun[] {
  const quadratic = quadraticWithSpectrum(settings.spectrum, settings.basisSeed);
  const lambdaMax = Math.max(...settings.spectrum);
  const start = unitStart(quadratic.dimension, settings.initialSeed).map((v) => v * settings.initialNorm);
  const runs: FloorRun[] = [];
  const record = (label: string, variant: "sam" | "usam", gamma: number, rhoDescription: string, rho: number | ((t: number) => number), predicted: number) => {
    const run = runOnQuadratic(quadratic, { variant, gamma, rho, steps: settings.steps }, start);
    const tail = run.norms.slice(-settings.tail);
    runs.push({
      label,
      variant,
      gamma,
      rhoDescription,
      norms: run.norms,
      predicted,
      tailMean: tail.reduce((sum, value) => sum + value, 0) / tail.length,
      diverged: run.diverged,
    });
  };
  for (const gamma of settings.gammas) {
    const gammaLambda = gamma * lambdaMax;
    record(
      `SAM, constant ρ, γλ_max = ${round(gammaLambda)}`,
      "sam",
      gamma,
      `${settings.rho}`,
      settings.rho,
      normalizedSamDistanceFloor(gamma, settings.rho, quadratic.spectrum),
    );
  }
  const gamma = settings.gammas[0]!;
  const decaying = (t: number) => settings.rho * Math.pow(t + 1, -settings.decayPower);
  record(
    `SAM, ρ_t → 0, γλ_max = ${round(gamma * lambdaMax)}`,
    "sam",
    gamma,
    `${settings.rho} (t+1)^-${settings.decayPower}`,
    decaying,
    twoCycleAmplitude(gamma, decaying(settings.steps - 1), lambdaMax),
  );
  record(`USAM, constant ρ, γλ_max = ${round(gamma * lambdaMax)}`, "usam", gamma, `${settings.rho}`, settings.rho, 0);
  return runs;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
