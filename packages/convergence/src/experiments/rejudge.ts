/**
 * Re-judging the claims of this package's committed figures whose data.json keeps what the claims need (Fig. 12,
 * training convergence, the two-cycle figure) from their reports/<id>/data.json and meta.json settings, without
 * training or rendering (see @sam-repro/deep-nets' rejudge.ts).
 */
import type { ClaimResult } from "@sam-repro/figures";
import type { ExperimentConfig } from "@sam-repro/runner";
import type { RunResult } from "@sam-repro/deep-nets";
import { LABEL_NOISE_ID, TRAINING_CONVERGENCE_ID } from "./deep-net-ids.js";
import { labelNoiseClaims, type LabelNoiseSettings, type PanelOutcome, type RunOutcome } from "./fig12-label-noise.js";
import { methodOutcomes, trainingConvergenceClaims, type TrainingConvergenceSettings } from "./deep-net-training-convergence.js";
import { TWO_CYCLE_ID, twoCycleClaims, type DistanceOutcome } from "./sam-two-cycle.js";
import type { TwoCycleSettings } from "../settings.js";

/** A number as data.json stores it: NaN is written as "NaN" or null. */
const numeric = (value: unknown): number => (typeof value === "number" ? value : Number.NaN);

function runOutcomeFromJson(run: Record<string, unknown>): RunOutcome {
  return {
    seed: Number(run.seed),
    status: run.status as RunOutcome["status"],
    bestTestError: numeric(run.bestTestError),
    bestEpoch: typeof run.bestEpoch === "number" ? run.bestEpoch : null,
    finalTestError: numeric(run.finalTestError),
    finalNoisyError: numeric(run.finalNoisyError),
    memorizationEpoch: typeof run.memorizationEpoch === "number" ? run.memorizationEpoch : null,
    finalTrainError: numeric(run.finalTrainError),
  };
}

/** The claims of figure `id` re-judged from its committed data; undefined for a figure this package does not own. */
export function rejudgeConvergenceClaims(id: string, figure: { data: Record<string, unknown>; setup: Record<string, unknown> }, experiment: ExperimentConfig<unknown>): ClaimResult[] | undefined {
  const { data, setup } = figure;
  if (id === LABEL_NOISE_ID) {
    const settings = setup as unknown as LabelNoiseSettings;
    const outcomes: PanelOutcome[] = (data.outcomes as Array<{ panel: string; erm: Array<Record<string, unknown>>; sam: Array<Record<string, unknown>> }>).map((outcome) => ({
      panel: settings.panels.find((panel) => panel.label === outcome.panel)!,
      erm: outcome.erm.map(runOutcomeFromJson),
      sam: outcome.sam.map(runOutcomeFromJson),
    }));
    const skipped = (setup.skippedPanels as Array<{ label: string; reason: string }> | undefined) ?? [];
    return labelNoiseClaims(experiment, settings, outcomes, skipped);
  }
  if (id === TRAINING_CONVERGENCE_ID) {
    const settings = setup as unknown as TrainingConvergenceSettings;
    const runs = data.runs as Array<{ method: string; seed: number; status: string; metrics: RunResult["metrics"] }>;
    const outcomes = methodOutcomes(settings, (method) =>
      settings.seeds.map((seed) => {
        const run = runs.find((r) => r.method === method.key && r.seed === seed);
        return run && run.status !== "missing" ? { status: run.status as RunResult["status"], metrics: run.metrics } : undefined;
      }),
    );
    return trainingConvergenceClaims(experiment, settings, outcomes);
  }
  if (id === TWO_CYCLE_ID) {
    const cycles = data.cycles as Array<{ gammaLambda: number; predictedAmplitude: number; relativeError: number; alternates: boolean }>;
    return twoCycleClaims(experiment as ExperimentConfig<TwoCycleSettings>, cycles, data.distanceRuns as DistanceOutcome[]);
  }
  return undefined;
}
