/**
 * The settings of each figure at a profile (experiments/<id>.json, profiles.smoke|cpu|paper), as zod schemas: a
 * bad value is reported with its field, the value and what is allowed.
 */
import { z } from "zod";

const positive = z.number().positive().finite();
const seed = z.number().int().min(0);
const range = z.strictObject({ min: positive, max: positive, count: z.number().int().min(1).max(400) });

export const stabilitySettingsSchema = z.strictObject({
  /** Eigenvalues of H (positive). */
  spectrum: z.array(positive).min(1).max(64),
  /** Seed of the random eigenbasis; null for a diagonal H. */
  basisSeed: seed.nullable(),
  initialSeed: seed,
  /** Step sizes, linear grid. */
  gamma: range,
  /** Radii, log grid. */
  rho: range,
  steps: z.number().int().min(10).max(100000),
  /** gamma = factor * gamma*(rho) for each rho and factor: the points just inside / outside the boundary. */
  boundary: z.strictObject({ rhos: z.array(z.number().min(0).finite()).min(1), factors: z.array(positive).min(2) }),
  criteria: z.strictObject({
    /** Grid points with |product - 2| / 2 below this are reported but not scored (too slow to tell in `steps`). */
    boundaryMargin: z.number().min(0).max(0.5),
    /** Largest allowed |empirical rate - predicted spectral radius|. */
    maxRateError: positive,
  }),
});
export type StabilitySettings = z.infer<typeof stabilitySettingsSchema>;

export const twoCycleSettingsSchema = z.strictObject({
  oneDimensional: z.strictObject({
    lambda: positive,
    rho: positive,
    /** Values of gamma * lambda in (0, 2). */
    gammaLambdas: z.array(z.number().gt(0).lt(2)).min(1),
    initial: z.number().finite(),
    steps: z.number().int().min(2).max(100000),
    /** The last `tail` iterates are compared with +-A. */
    tail: z.number().int().min(2),
  }),
  highDimensional: z.strictObject({
    spectrum: z.array(positive).min(2).max(64),
    basisSeed: seed.nullable(),
    initialSeed: seed,
    initialNorm: positive,
    rho: positive,
    gammas: z.array(positive).min(1),
    /** rho_t = rho (t+1)^(-decayPower) for the decaying-rho run. */
    decayPower: z.number().gt(0).max(2),
    steps: z.number().int().min(10).max(1000000),
    tail: z.number().int().min(2),
  }),
  criteria: z.strictObject({
    /** Largest allowed relative error of the cycle amplitude and of the distance floor. */
    maxRelativeError: positive,
    /** Decaying rho: final distance / instantaneous amplitude gamma lambda rho_T / (2 - gamma lambda) must lie in this band. */
    decayingTrackingBand: z.tuple([positive, positive]),
  }),
});
export type TwoCycleSettings = z.infer<typeof twoCycleSettingsSchema>;

export const problemSettingsSchema = z.strictObject({
  /** A file of <datasets>/cifar-10/. */
  file: z.string().regex(/^[\w.-]+$/, "a file name inside cifar-10/"),
  /** The two CIFAR-10 classes (0-9): the first gets label -1, the second +1. */
  classes: z.tuple([z.number().int().min(0).max(9), z.number().int().min(0).max(9)]).refine(([a, b]) => a !== b, "two different classes"),
  maxExamples: z.number().int().min(10).max(10000),
  /** Average-pooling block (divides 32): (32/pool)^2 pixel features. */
  pool: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8), z.literal(16), z.literal(32)]),
  /** lambda of the non-convex regularizer lambda sum w^2 / (1 + w^2). */
  regularization: z.number().min(0).finite(),
  /** w_0 ~ N(0, initScale^2 I) drawn from initSeed (the same w_0 for every run). */
  initSeed: seed,
  initScale: z.number().min(0).finite(),
});
export type ProblemSettings = z.infer<typeof problemSettingsSchema>;

export const rateSettingsSchema = z.strictObject({
  problem: problemSettingsSchema,
  horizons: z.array(z.number().int().min(10)).min(2),
  batchSize: z.number().int().min(1),
  seeds: z.array(seed).min(1),
  evaluations: z.number().int().min(2),
  referenceHorizon: z.number().int().min(1),
  /** gamma_T = gammaFactor / (4 beta) * sqrt(referenceHorizon / T). */
  gammaFactor: positive,
  /** rho_T = rhoFactor / (4 beta) * (referenceHorizon / T)^(1/4). */
  rhoFactor: positive,
  /** Constant rho = constantRhoFactor / (4 beta). */
  constantRhoFactor: positive,
  criteria: z.strictObject({
    /** The fitted log-log slope of the left side against T must be at most this (the bound's rate is -1/2). */
    maxSlope: z.number().max(0),
  }),
});
export type RateSettingsFile = z.infer<typeof rateSettingsSchema>;

export const floorSettingsSchema = z.strictObject({
  problem: problemSettingsSchema,
  batchSizes: z.array(z.number().int().min(1)).min(2),
  seeds: z.array(seed).min(1),
  steps: z.number().int().min(100),
  gammaFactor: positive,
  rhoFactors: z.array(positive).min(1),
  evaluations: z.number().int().min(2),
  averageFrom: z.number().min(0).lt(1),
  criteria: z.strictObject({
    /** The measured b = 1 USAM floor must be within this factor of the exact mean-field value. */
    meanFieldFactor: z.number().min(1),
    /** The fitted slope of the USAM floor against b must be at most this (the bound's term gives -1). */
    maxUsamSlope: z.number().max(0),
  }),
});
export type FloorSettingsFile = z.infer<typeof floorSettingsSchema>;
