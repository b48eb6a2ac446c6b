/**
 * The diagonal-linear-network experiment of Fig. 6 as one pure function, for the live panel of the report
 * (bundled for the browser) and for the Node test that checks the browser gives the same numbers.
 * It uses the library's own trainer and problem generator; nothing here touches the DOM or the file system.
 *
 * One data seed: X, X_test ~ N(0, I), beta* sparse (SPEC 2.1), u0 = alpha 1, v0 = 0, and for each of ERM (full-batch
 * GD), n-SAM and 1-SAM the train and test loss ||X(u*v) - y||^2 / (2n) recorded at log-spaced iterations.
 */
import { DiagNetTrainer, initialState, recordSchedule, type DiagNetMethod } from "../diag-net.js";
import { generateSparseRegression } from "../problem.js";

/** What the reader can change (sliders) and the fixed problem size. */
export interface LiveSettings {
  /** Ascent radius of n-SAM and 1-SAM (1-SAM's ascent uses 2 rho, as the official code). */
  rho: number;
  /** Initialization scale: u0 = alpha 1, v0 = 0. */
  alpha: number;
  /** Step size gamma = gammaTimesD / d (the paper's 5/d is gammaTimesD = 5). */
  gammaTimesD: number;
  /** Seed of the data (X, X_test, beta*). */
  seed: number;
  iterations: number;
  n: number;
  d: number;
  r: number;
  nTest: number;
  /** Number of log-spaced record points. */
  recordPoints: number;
}

/** Fig. 6's setting (n = 20, d = 30, r = 3, alpha = 0.02, gamma = 5/d, rho = 0.1) at 10^4 iterations. */
export const DEFAULT_LIVE_SETTINGS: LiveSettings = {
  rho: 0.1,
  alpha: 0.02,
  gammaTimesD: 5,
  seed: 0,
  iterations: 10_000,
  n: 20,
  d: 30,
  r: 3,
  nTest: 1000,
  recordPoints: 60,
};

/** The three methods of the panel, with the names the paper uses. */
export const LIVE_METHODS: ReadonlyArray<{ method: DiagNetMethod; label: string }> = [
  { method: "gd", label: "ERM" },
  { method: "nsam", label: "n-SAM" },
  { method: "1sam", label: "1-SAM" },
];

/** One recorded point of one method; a diverged run stops recording at its last finite step. */
export interface LivePoint {
  method: string;
  step: number;
  trainLoss: number;
  testLoss: number;
}

export interface LiveResult {
  settings: LiveSettings;
  points: LivePoint[];
  /** Final losses by method label (NaN test loss when diverged). */
  final: Record<string, { trainLoss: number; testLoss: number; diverged: boolean; steps: number }>;
}

/** Trains ERM, n-SAM and 1-SAM from u0 = alpha 1, v0 = 0 on one generated problem and records both losses. */
export function runLiveExperiment(settings: LiveSettings): LiveResult {
  const problem = generateSparseRegression({ n: settings.n, d: settings.d, r: settings.r, nTest: settings.nTest, seed: settings.seed });
  const trainer = new DiagNetTrainer(problem);
  const gamma = settings.gammaTimesD / settings.d;
  const recordAt = recordSchedule(settings.iterations, settings.recordPoints, 0);
  const points: LivePoint[] = [];
  const final: LiveResult["final"] = {};
  for (const { method, label } of LIVE_METHODS) {
    const rho = method === "gd" ? 0 : settings.rho;
    const run = trainer.run(initialState(settings.d, settings.alpha), { method, gamma, rho, iterations: settings.iterations, recordAt });
    run.curve.step.forEach((step, index) => {
      points.push({ method: label, step, trainLoss: run.curve.trainLoss[index]!, testLoss: run.curve.testLoss[index]! });
    });
    final[label] = { trainLoss: run.trainLoss, testLoss: run.testLoss, diverged: run.diverged, steps: run.steps };
  }
  return { settings, points, final };
}
