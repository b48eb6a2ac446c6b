/**
 * Figure theorem2-pl (issue 13 part 7, docs/spec.md §2.4): the PL part of the paper's Theorem 2 exactly as stated.
 * Unnormalized SAM, same batch for ascent and descent, gamma_t = min{(8t+4)/(3 mu (t+1)^2), 1/(2 beta)},
 * rho_t = sqrt(gamma_t / beta); E[L(w_T)] - L* (exact, from the moment recursion, and the mean of batch seeds) against
 * 3 beta^2 (L(w_0) - L*)/(mu^2 T^2) + 22 beta sigma^2/(mu^2 b T), on noisy quadratics where beta, mu, sigma^2 and L*
 * are exact.
 */
import { createProgress, declaredRule, judgeThreshold, judgedClaim, loadExperiment, logLogSlope, type Profile } from "@sam-repro/runner";
import { PALETTE, type Curve, type FigureOutput, type Row } from "@sam-repro/figures";
import { curve, theorem2HorizonSpec } from "../figure-specs.js";
import { plBound } from "../paper-theorem2.js";
import { prepareQuadratic } from "../theorem2-problems.js";
import { exactPlGaps, runPlPart } from "../theorem2-runs.js";
import { theorem2PlSettingsSchema } from "../theorem2-settings.js";
import { fmt, summarize } from "./shared.js";

export const THEOREM2_PL_ID = "theorem2-pl";

const MEASURED = "measured: mean of seeds (band min-max)";
const EXACT = "exact expectation";
const BOUND = "Theorem 2 bound (PL)";
const CURVES: Curve[] = [curve(MEASURED, PALETTE.blue), curve(EXACT, PALETTE.black, true), curve(BOUND, PALETTE.red, true)];

export async function reproduceTheorem2Pl(profile: Profile): Promise<FigureOutput> {
  const started = performance.now();
  const config = loadExperiment(THEOREM2_PL_ID, profile, theorem2PlSettingsSchema);
  const settings = config.settings;
  const { horizons, seeds, batchSize } = settings;
  const progress = createProgress(THEOREM2_PL_ID, settings.quadratics.length * seeds.length);
  let done = 0;
  const rows: Row[] = [];
  const runs: Array<Record<string, unknown>> = [];
  const ratios: string[] = [];
  const slopes: string[] = [];
  const constantsByProblem: Record<string, unknown> = {};
  let worstRatio = 0;
  let worstSlope = -Infinity;
  const fitted = horizons.map((steps, index) => ({ steps, index })).filter(({ steps }) => steps >= settings.rateFitFrom);
  for (const quadraticSettings of settings.quadratics) {
    const prepared = prepareQuadratic(quadraticSettings);
    constantsByProblem[prepared.label] = prepared.provenance;
    const mu = prepared.mu!;
    const constants = { beta: prepared.beta, sigma2: prepared.sigma2, initialGap: prepared.initialGap, batchSize };
    const perSeed = seeds.map((seed) => {
      const result = runPlPart(prepared.problem, prepared.initial, { mu, beta: prepared.beta }, horizons, { batchSize, seed });
      runs.push({ problem: prepared.label, seed, horizons, gaps: result.gaps, diverged: result.diverged });
      progress.update(++done, { problem: prepared.label, seed });
      return result.gaps;
    });
    const exact = exactPlGaps(prepared.quadratic, prepared.initial, horizons, batchSize);
    const means: number[] = [];
    let problemWorst = 0;
    horizons.forEach((steps, index) => {
      const values = perSeed.map((gaps) => gaps[index]!);
      const { mean, min, max } = summarize(values);
      const diverged = values.some((value) => !Number.isFinite(value));
      means.push(diverged ? Number.NaN : mean);
      const bound = plBound(steps, mu, constants);
      rows.push({ problem: prepared.label, curve: MEASURED, steps, value: mean, lower: min, upper: max });
      rows.push({ problem: prepared.label, curve: EXACT, steps, value: exact[index]!, lower: null, upper: null });
      rows.push({ problem: prepared.label, curve: BOUND, steps, value: bound.total, lower: null, upper: null, ...bound });
      problemWorst = Math.max(problemWorst, diverged ? Infinity : mean / bound.total, exact[index]! / bound.total);
    });
    const measuredSlope = logLogSlope(fitted.map(({ steps }) => steps), fitted.map(({ index }) => means[index]!));
    const exactSlope = logLogSlope(fitted.map(({ steps }) => steps), fitted.map(({ index }) => exact[index]!));
    worstRatio = Math.max(worstRatio, problemWorst);
    worstSlope = Math.max(worstSlope, Number.isNaN(measuredSlope) ? Infinity : measuredSlope, exactSlope);
    ratios.push(`${prepared.label}: ${fmt(problemWorst)}`);
    slopes.push(`${prepared.label}: exact ${fmt(exactSlope)}, seeds' mean ${fmt(measuredSlope)}`);
  }
  progress.stop();

  const claims = [
    judgedClaim(config, "pl-below-bound", {
      ourValue: `largest ratio (E[L(w_T)] - L*) / bound: ${ratios.join("; ")}`,
      judgement: judgeThreshold(declaredRule(config, "pl-below-bound", ["threshold"]), worstRatio),
      details: `E[L(w_T)] - L* exact (moment recursion) and as the mean over ${seeds.length} batch seeds, against 3 beta^2 (L0 - L*)/(mu^2 T^2) + 22 beta sigma^2/(mu^2 b T) at every T in ${horizons.join(", ")}.`,
    }),
    judgedClaim(config, "pl-rate-one-over-t", {
      ourValue: `log-log slope against T: ${slopes.join("; ")}`,
      judgement: judgeThreshold(declaredRule(config, "pl-rate-one-over-t", ["threshold"]), worstSlope),
      details: `Least-squares slope of log(E[L(w_T)] - L*) against log T over T = ${fitted.map(({ steps }) => steps).join(", ")}; the bound falls like 1/T. The largest of the exact and the measured slopes counts.`,
    }),
  ];

  const spec = theorem2HorizonSpec({
    title: "Theorem 2, PL part: E[L(w_T)] − L* against T with the paper's decreasing schedule",
    yTitle: "E[L(w_T)] − L*",
    rows,
    curves: CURVES,
    subtitle: [
      `γ_t = min{(8t+4)/(3μ(t+1)²), 1/(2β)}, ρ_t = √(γ_t/β); unnormalized SAM, same batch, b = ${batchSize}; ${seeds.length} batch seeds.`,
      "Bound: 3β²(L(w₀) − L*)/(μ²T²) + 22βσ²/(μ²bT), every constant exact on these noisy quadratics.",
    ],
  });
  return {
    id: config.id,
    title: config.title,
    paperFigure: config.paperFigure,
    profile,
    setup: { ...settings, constants: constantsByProblem },
    data: { rows, runs },
    spec,
    claims,
    wallSeconds: (performance.now() - started) / 1000,
  };
}
