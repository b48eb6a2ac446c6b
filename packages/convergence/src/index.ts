/**
 * @sam-repro/convergence: the convergence checks of "Towards Understanding Sharpness-Aware Minimization"
 * (SPEC 2.4, 5.A5): USAM's stability region on quadratics, the normalized-SAM 2-cycle and distance floor, and the
 * rate and constant-rho floor of stochastic SGD / USAM / SAM on a non-convex CIFAR-10 problem against the
 * reconstructed Theorem 2. The deep-net figures of convergence in practice (training convergence, Fig. 12) live in
 * @sam-repro/deep-nets.
 */
export {
  horizonSchedule,
  isUsamStable,
  normalizedSamDistanceFloor,
  theorem2Bound,
  twoCycleAmplitude,
  twoCycleTransverseFactor,
  usamCriticalRho,
  usamCriticalStepSize,
  usamEigenFactor,
  usamSpectralRadius,
  usamStabilityProduct,
  type Theorem2Bound,
  type Theorem2Inputs,
} from "./theory.js";
// The slope fit lives with the verdict statistics in @sam-repro/runner (implicit-bias uses it too).
export { logLogSlope } from "@sam-repro/runner";
export {
  empiricalRate,
  multiplyHessian,
  normalizedSamRecursion1d,
  quadraticOracle,
  quadraticWithSpectrum,
  runOnQuadratic,
  usamIterationMatrix,
  usamRecursion,
  type Quadratic,
  type QuadraticRun,
} from "./quadratic.js";
export {
  boundaryProbes,
  distanceFloorRuns,
  grid,
  oneDimensionalCycles,
  stabilityMap,
  unitStart,
  type BoundaryProbe,
  type CycleRun,
  type FloorRun,
  type StabilityPoint,
} from "./quadratic-experiments.js";
export { NonconvexLogisticRegression, regularizerCurvature, type FullEvaluation } from "./logistic-problem.js";
export { buildFeatureMatrix, grayscalePooledFeatures, selectTwoClasses, CIFAR10_RECORD_BYTES, type FeatureMatrix } from "./cifar-features.js";
export { DATA_DIR_ENV_VAR, cifar10Directory, loadCifarSubset, type CifarSubset, type CifarSubsetOptions } from "./cifar-data.js";
export { dampedNewtonMinimize, newtonSolve, type NewtonResult } from "./newton.js";
export {
  RATE_SERIES,
  STOCHASTIC_METHODS,
  analyzeProblem,
  floorExperiment,
  predictUsamFloor,
  rateBound,
  rateExperiment,
  rateSchedule,
  runStochastic,
  type FloorPrediction,
  type ProblemAnalysis,
  type RunCache,
  type StochasticMethod,
  type StochasticRunResult,
  type StochasticRunSettings,
} from "./stochastic-experiment.js";
export { THEORY_FIGURES, reproduce } from "./reproduce.js";
export { registerCommands, cycleReport, stabilityReport, stochasticReport } from "./commands.js";
export { rejudgeConvergenceClaims } from "./experiments/rejudge.js";
