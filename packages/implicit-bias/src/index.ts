/**
 * @sam-repro/implicit-bias: implicit bias of SAM on diagonal linear networks and 1-D ReLU networks
 * (SPEC 1.5, 1.6, 2.1-2.3, 3.4, 3.5, 5.A1-A4, A6).
 */
import type { FigureSettings, Profile } from "@sam-repro/runner";

/**
 * Regenerates this package's figures under reports/ (SPEC 5.A1-A4, A6): fig6-diag-net, diag-net-rho-grid,
 * diag-net-finetuning, diag-net-interpolation, diag-net-effective-init, relu-1d. Loaded lazily so that the
 * `diag-net` command starts without the figure renderer.
 */
export async function reproduce(options: { profile: Profile; only?: string[] }): Promise<void> {
  const { reproduce: run } = await import("./reproduce.js");
  await run(options);
}
/** Each figure's id and settings schema (for the JSON Schemas of experiments/); loaded lazily like `reproduce`. */
export async function figureSettings(): Promise<readonly FigureSettings[]> {
  return (await import("./reproduce.js")).FIGURES;
}
export { registerCommands, runDiagNetCommand, formatSummary, type DiagNetFlags, type DiagNetSummary } from "./cli.js";
export {
  DIAG_NET_METHODS,
  METHOD_LABELS,
  DiagNetTrainer,
  runOverRhos,
  initialState,
  predictor,
  recordSchedule,
  type DiagNetMethod,
  type DiagNetOptions,
  type DiagNetRun,
  type DiagNetState,
  type LossCurve,
} from "./diag-net.js";
export { generateSparseRegression, parseProblem, squaredLoss, multiply, type RegressionProblem, type SparseRegressionOptions } from "./problem.js";
export { loadProblemFile } from "./problem-file.js";
export {
  hyperbolicEntropy,
  hyperbolicEntropyGradient,
  minimumEntropyInterpolator,
  effectiveInitSquared,
  distance,
  norm,
  type InterpolatorResult,
} from "./hyperbolic-entropy.js";
export {
  maennelData,
  initReluNet,
  evaluateReluNet,
  trainReluNet,
  kinkSummary,
  type ReluNet,
  type ReluTrainingOptions,
  type ReluTrainingResult,
  type KinkSummary,
} from "./relu-1d.js";
