/**
 * Settings of the two figures of the paper's Theorem 2 (experiments/theorem2-nonconvex.json, theorem2-pl.json), as
 * zod schemas: a bad value is reported with its field, the value and what is allowed.
 */
import { z } from "zod";

const positive = z.number().positive().finite();
const seed = z.number().int().min(0);
const horizons = z
  .array(z.number().int().min(1))
  .min(2)
  .refine((values) => values.every((value, index) => index === 0 || value > values[index - 1]!), "horizons must increase");

/** A generated noisy quadratic (noisy-quadratic.ts) and its start w_0 ~ N(0, initScale^2 I). */
export const noisyQuadraticSchema = z
  .strictObject({
    label: z.string().min(1),
    dimension: z.number().int().min(1).max(1000),
    exampleCount: z.number().int().min(2),
    mu: positive,
    beta: positive,
    centerSpread: positive,
    seed,
    initSeed: seed,
    initScale: positive,
  })
  .refine((value) => value.mu <= value.beta, { message: "mu must not exceed beta", path: ["mu"] });
export type NoisyQuadraticProblemSettings = z.infer<typeof noisyQuadraticSchema>;

/** The synthetic non-convex logistic regression (synthetic-logistic.ts) and its start. */
export const syntheticLogisticSchema = z.strictObject({
  label: z.string().min(1),
  exampleCount: z.number().int().min(2).max(100000),
  features: z.number().int().min(1).max(1000),
  separation: z.number().min(0).finite(),
  dataSeed: seed,
  regularization: z.number().min(0).finite(),
  initSeed: seed,
  initScale: z.number().min(0).finite(),
});
export type SyntheticLogisticSettings = z.infer<typeof syntheticLogisticSchema>;

export const theorem2NonconvexSettingsSchema = z.strictObject({
  quadratic: noisyQuadraticSchema,
  logistic: syntheticLogisticSchema,
  horizons,
  batchSize: z.number().int().min(1),
  seeds: z.array(seed).min(1),
  /** ||grad L(w_t)||^2 is evaluated on min(T, evaluations) evenly spaced steps of each run. */
  evaluations: z.number().int().min(2),
  /** The log-log slope is fitted over the horizons >= this (the bound's rate is asymptotic). */
  rateFitFrom: z.number().int().min(1),
});
export type Theorem2NonconvexSettings = z.infer<typeof theorem2NonconvexSettingsSchema>;

export const theorem2PlSettingsSchema = z.strictObject({
  quadratics: z.array(noisyQuadraticSchema).min(1),
  horizons,
  batchSize: z.number().int().min(1),
  seeds: z.array(seed).min(1),
  rateFitFrom: z.number().int().min(1),
});
export type Theorem2PlSettings = z.infer<typeof theorem2PlSettingsSchema>;
