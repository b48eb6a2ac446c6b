/**
 * Figure theorem2-nonconvex (issue 13 part 7, docs/spec.md §2.4): the non-convex part of the paper's Theorem 2
 * exactly as stated. Unnormalized SAM, the same batch for ascent and descent, gamma = 1/(sqrt(T) beta),
 * rho = 1/(T^(1/4) beta); left side (1/T) sum_{t<T} ||grad L(w_t)||^2 (mean and min-max over batch seeds; the exact
 * expectation too on the noisy quadratic) against 4 beta (L(w_0) - L*)/sqrt(T) + 8 sigma^2/(b sqrt(T)), on a noisy
 * quadratic (every constant exact) and a non-convex logistic regression (beta, sigma^2 certified).
 */
import { createProgress, declaredRule, judgeThreshold, judgedClaim, loadExperiment, logLogSlope, type Profile } from "@sam-repro/runner";
import { PALETTE, type Curve, type FigureOutput, type Row } from "@sam-repro/figures";
import { curve, theorem2HorizonSpec } from "../figure-specs.js";
import { nonconvexBound, nonconvexSchedule } from "../paper-theorem2.js";
import { prepareLogistic, prepareQuadratic, type PreparedProblem } from "../theorem2-problems.js";
import { exactNonconvexAverage, runNonconvexPart } from "../theorem2-runs.js";
import { theorem2NonconvexSettingsSchema } from "../theorem2-settings.js";
import { fmt, summarize } from "./shared.js";

export const THEOREM2_NONCONVEX_ID = "theorem2-nonconvex";

const MEASURED = "measured: mean of seeds (band min-max)";
const EXACT = "exact expectation (noisy quadratic)";
const BOUND = "Theorem 2 bound";
const CURVES: Curve[] = [curve(MEASURED, PALETTE.blue), curve(EXACT, PALETTE.black, true), curve(BOUND, PALETTE.red, true)];

export async function reproduceTheorem2Nonconvex(profile: Profile): Promise<FigureOutput> {
  const started = performance.now();
  const config = loadExperiment(THEOREM2_NONCONVEX_ID, profile, theorem2NonconvexSettingsSchema);
  const settings = config.settings;
  const quadratic = prepareQuadratic(settings.quadratic);
  const problems: Array<PreparedProblem & { exact?: (steps: number) => number }> = [
    { ...quadratic, exact: (steps) => exactNonconvexAverage(quadratic.quadratic, quadratic.initial, steps, settings.batchSize) },
    prepareLogistic(settings.logistic),
  ];
  const progress = createProgress(THEOREM2_NONCONVEX_ID, problems.length * settings.horizons.length * settings.seeds.length);
  let done = 0;
  const rows: Row[] = [];
  const runs: Array<Record<string, unknown>> = [];
  const ratios: string[] = [];
  const slopes: string[] = [];
  let worstRatio = 0;
  let worstSlope = -Infinity;
  for (const prepared of problems) {
    const constants = { beta: prepared.beta, sigma2: prepared.sigma2, initialGap: prepared.initialGap, batchSize: settings.batchSize };
    const means: number[] = [];
    const exacts: number[] = [];
    let problemWorst = 0;
    for (const steps of settings.horizons) {
      const values = settings.seeds.map((seed) => {
        const result = runNonconvexPart(prepared.problem, prepared.initial, prepared.beta, {
          steps,
          batchSize: settings.batchSize,
          seed,
          evaluations: settings.evaluations,
        });
        runs.push({ problem: prepared.label, steps, seed, ...nonconvexSchedule(steps, prepared.beta), ...result });
        progress.update(++done, { problem: prepared.label, T: steps });
        return result.averageGradientNormSquared;
      });
      const { mean, min, max } = summarize(values);
      const diverged = values.some((value) => !Number.isFinite(value));
      means.push(diverged ? Number.NaN : mean);
      const bound = nonconvexBound(steps, constants);
      rows.push({ problem: prepared.label, curve: MEASURED, steps, value: mean, lower: min, upper: max });
      rows.push({ problem: prepared.label, curve: BOUND, steps, value: bound.total, lower: null, upper: null, ...bound });
      let ratio = diverged ? Infinity : mean / bound.total;
      if (prepared.exact) {
        const exact = prepared.exact(steps);
        exacts.push(exact);
        rows.push({ problem: prepared.label, curve: EXACT, steps, value: exact, lower: null, upper: null });
        ratio = Math.max(ratio, exact / bound.total);
      }
      problemWorst = Math.max(problemWorst, ratio);
    }
    progress.update(done);
    const fitted = settings.horizons.map((steps, index) => ({ steps, index })).filter(({ steps }) => steps >= settings.rateFitFrom);
    const slope = logLogSlope(fitted.map(({ steps }) => steps), fitted.map(({ index }) => means[index]!));
    const exactSlope = exacts.length ? logLogSlope(fitted.map(({ steps }) => steps), fitted.map(({ index }) => exacts[index]!)) : Number.NaN;
    worstRatio = Math.max(worstRatio, problemWorst);
    worstSlope = Math.max(worstSlope, Number.isNaN(slope) ? Infinity : slope, Number.isNaN(exactSlope) ? -Infinity : exactSlope);
    ratios.push(`${prepared.label}: ${fmt(problemWorst)}`);
    slopes.push(`${prepared.label}: ${fmt(slope)}${exacts.length ? ` (exact expectation ${fmt(exactSlope)})` : ""}`);
  }
  progress.stop();

  const horizonsText = settings.horizons.join(", ");
  const fitText = settings.horizons.filter((steps) => steps >= settings.rateFitFrom).join(", ");
  const claims = [
    judgedClaim(config, "nonconvex-below-bound", {
      ourValue: `largest ratio (left side) / bound: ${ratios.join("; ")}`,
      judgement: judgeThreshold(declaredRule(config, "nonconvex-below-bound", ["threshold"]), worstRatio),
      details: `Left side = mean over ${settings.seeds.length} batch seeds of (1/T) sum_{t<T} ||grad L(w_t)||^2 (evaluated on min(T, ${settings.evaluations}) evenly spaced steps), and on the noisy quadratic also its exact expectation; compared with 4 beta (L0 - L*)/sqrt(T) + 8 sigma^2/(b sqrt(T)) at every T in ${horizonsText}.`,
    }),
    judgedClaim(config, "nonconvex-rate", {
      ourValue: `log-log slope of the left side against T: ${slopes.join("; ")}`,
      judgement: judgeThreshold(declaredRule(config, "nonconvex-rate", ["threshold"]), worstSlope),
      details: `Least-squares slope of log(mean left side) against log T over T = ${fitText}; the bound falls like T^(-1/2).`,
    }),
  ];

  const spec = theorem2HorizonSpec({
    title: "Theorem 2, non-convex part: (1/T) Σ‖∇L(w_t)‖² against T with γ = 1/(√T β), ρ = 1/(T^¼ β)",
    yTitle: "(1/T) Σ_t ‖∇L(w_t)‖²",
    rows,
    curves: CURVES,
    subtitle: [
      `Unnormalized SAM, same batch for ascent and descent, b = ${settings.batchSize}; ${settings.seeds.length} batch seeds.`,
      "Bound: 4β(L(w₀) − L*)/√T + 8σ²/(b√T) with the problem's exact or certified β and σ².",
    ],
  });
  return {
    id: config.id,
    title: config.title,
    paperFigure: config.paperFigure,
    profile,
    setup: { ...settings, constants: Object.fromEntries(problems.map((prepared) => [prepared.label, prepared.provenance])) },
    data: { rows, runs },
    spec,
    claims,
    wallSeconds: (performance.now() - started) / 1000,
  };
}
