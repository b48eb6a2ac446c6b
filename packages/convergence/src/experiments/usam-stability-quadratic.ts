/**
 * Figure usam-stability-quadratic (issue 5 part 1, SPEC 2.4 / 5.A5): the empirical stability region of
 * deterministic USAM with constant rho over (gamma, rho) on a quadratic, against gamma lambda_max (1 + rho lambda_max) < 2.
 */
import { loadExperiment, type Profile } from "@sam-repro/runner";
import type { FigureOutput } from "@sam-repro/figures";
import { boundaryProbes, grid, stabilityMap } from "../quadratic-experiments.js";
import { stabilitySettingsSchema } from "../settings.js";
import { usamCriticalStepSize } from "../theory.js";
import { stabilityMapSpec } from "../figure-specs.js";
import { NO_PAPER_FIGURE, claimResult, fmt } from "./shared.js";

export const STABILITY_ID = "usam-stability-quadratic";

export async function reproduceStability(profile: Profile): Promise<FigureOutput> {
  const started = performance.now();
  const config = loadExperiment(STABILITY_ID, profile, stabilitySettingsSchema);
  const settings = config.settings;
  const lambdaMax = Math.max(...settings.spectrum);
  const gammas = grid(settings.gamma.min, settings.gamma.max, settings.gamma.count, "linear");
  const rhos = grid(settings.rho.min, settings.rho.max, settings.rho.count, "log");
  const points = stabilityMap({ ...settings, gammas, rhos });
  const probes = boundaryProbes({ ...settings, rhos: settings.boundary.rhos, factors: settings.boundary.factors });

  const scored = points.filter((point) => Math.abs(point.product - 2) / 2 > settings.criteria.boundaryMargin);
  const agreeing = scored.filter((point) => point.empiricalStable === point.predictedStable);
  const nearBoundary = points.length - scored.length;
  const nearAgreeing = points.filter(
    (point) => Math.abs(point.product - 2) / 2 <= settings.criteria.boundaryMargin && point.empiricalStable === point.predictedStable,
  ).length;
  const probesAgree = probes.filter((probe) => probe.empiricalStable === (probe.factor < 1));
  const rateErrors = points
    .filter((point) => Number.isFinite(point.empiricalRate) && point.empiricalRate > 0)
    .map((point) => Math.abs(point.empiricalRate - point.predictedRate));
  const maxRateError = Math.max(...rateErrors);

  const claims = [
    claimResult(config, "usam-stability-region", {
      measured: scored.length - agreeing.length,
      ourValue: `${agreeing.length}/${scored.length} grid runs agree with the prediction`,
      details:
        `Grid of ${gammas.length} step sizes x ${rhos.length} radii, ${settings.steps} Float64Sam USAM steps each on a ` +
        `${settings.spectrum.length}-dimensional quadratic (lambda_max = ${lambdaMax}). A run "converges" when its rate over ` +
        `the second half, (||w_T|| / ||w_T/2||)^(2/T), is below 1. ${nearBoundary} runs within ${settings.criteria.boundaryMargin * 100}% ` +
        `of the boundary are not scored (${nearAgreeing} of them agree anyway).`,
    }),
    claimResult(config, "usam-boundary-sharp", {
      measured: probes.length - probesAgree.length,
      ourValue: `${probesAgree.length}/${probes.length} probes at gamma = {${settings.boundary.factors.join(", ")}} x gamma* behave as predicted`,
      details: probes
        .map((probe) => `rho ${probe.rho}, ${probe.factor} gamma*: rate ${fmt(probe.empiricalRate)} (predicted ${fmt(probe.predictedRate)})`)
        .join("; "),
    }),
    claimResult(config, "usam-linear-rate", {
      measured: maxRateError,
      ourValue: `max |empirical rate - predicted| = ${fmt(maxRateError)}`,
      details: `Over the ${rateErrors.length} grid runs with a measurable rate; criterion <= ${settings.criteria.maxRateError}.`,
    }),
  ];

  const boundaryRhos = grid(settings.rho.min, settings.rho.max, 200, "log");
  const boundary = boundaryRhos
    .map((rho) => ({ rho, gamma: usamCriticalStepSize(rho, lambdaMax) }))
    .filter((point) => point.gamma <= settings.gamma.max * 1.02);
  const spec = stabilityMapSpec({
    points,
    probes,
    boundary,
    lambdaMax,
    gridShape: [gammas.length, rhos.length],
    subtitle: [
      `Deterministic USAM w ← w − γ∇L(w + ρ∇L(w)) (Float64Sam) on ½wᵀHw, spectrum {${settings.spectrum.join(", ")}}, ${settings.steps} steps per run.`,
      "Line: SPEC 2.4's boundary. No paper figure.",
    ],
  });
  return {
    id: STABILITY_ID,
    title: config.title,
    paperFigure: NO_PAPER_FIGURE,
    profile,
    setup: { ...settings, lambdaMax, gammas: gammas.length, rhos: rhos.length },
    data: { points, probes, boundary },
    spec,
    claims,
    wallSeconds: (performance.now() - started) / 1000,
  };
}
