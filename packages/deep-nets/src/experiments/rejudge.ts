/**
 * Re-judging the claims of a committed deep-net figure from its reports/<id>/data.json and the settings in its
 * meta.json, without training: the figure modules' claim functions are pure functions of what data.json keeps,
 * so a changed verdict rule applies to runs that took hours. Used by tools/rejudge-claims.ts.
 */
import type { ClaimResult } from "@sam-repro/figures";
import { summarize, type ExperimentConfig, type Summary } from "@sam-repro/runner";
import type { InterpolationPoint } from "../training/interpolation.js";
import type { RunResult } from "../training/run-store.js";
import { FIG1_ID, fig1Claims, type Point, type Settings as Fig1Settings } from "./fig1-perturbations.js";
import { FIG9_ID, fig9Claims, type FinetuningRole, type FinetuningSettings } from "./fig9-finetuning.js";
import { FIG10_ID, fig10Claims } from "./fig10-interpolation.js";
import { LABEL_NOISE_ID, labelNoiseClaims, type LabelNoiseSettings, type PanelOutcome, type RunOutcome } from "./fig12-label-noise.js";
import { MSAM_ID, msamClaims, type MsamPoint, type MsamSettings } from "./msam-vs-m.js";
import { TRAINING_CONVERGENCE_ID, methodOutcomes, trainingConvergenceClaims, type TrainingConvergenceSettings } from "./training-convergence.js";
import { scaleContext } from "./common.js";

/** What a committed figure directory holds: data.json and the settings of meta.json. */
export interface CommittedFigure {
  data: Record<string, unknown>;
  setup: Record<string, unknown>;
}

/** Per-seed values from a summary, only when no seed is missing (pairing needs the seed order). */
function seedOrdered(summary: Summary, seeds: readonly number[], what: string): number[] {
  if (summary.n !== seeds.length) throw new Error(`${what}: ${summary.n} of ${seeds.length} seeds finished; data.json keeps no seed order to pair them`);
  return summary.values;
}

/** A number as data.json stores it: NaN is written as "NaN" or null. */
const numeric = (value: unknown): number => (typeof value === "number" ? value : Number.NaN);

/** One run of Fig. 12's committed outcomes (data.json) as the RunOutcome its claims take. */
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

/** The claims of deep-net figure `id` re-judged from its committed data; undefined for a figure of another package. */
export function rejudgeDeepNetClaims(id: string, figure: CommittedFigure, experiment: ExperimentConfig<unknown>): ClaimResult[] | undefined {
  const { data, setup } = figure;
  switch (id) {
    case FIG1_ID: {
      const points = (data.points as Array<Omit<Point, "test" | "train"> & { testError: Summary; trainError: Summary }>).map(({ testError, trainError, ...rest }) => ({ ...rest, test: testError, train: trainError }));
      return fig1Claims(experiment, setup as unknown as Fig1Settings, points);
    }
    case MSAM_ID: {
      const settings = setup as unknown as MsamSettings;
      const points: MsamPoint[] = (data.points as Array<Omit<MsamPoint, "test" | "train"> & { testError: Summary; trainError: Summary }>).map(({ testError, trainError, ...rest }) => ({
        ...rest,
        test: testError,
        train: trainError,
      }));
      return msamClaims(experiment, settings, points);
    }
    case FIG9_ID: {
      const settings = setup as unknown as FinetuningSettings;
      const final = data.final as Record<FinetuningRole, Summary>;
      const kept = data.perSeed as Record<FinetuningRole, Array<number | null>> | undefined;
      const perSeed = (role: FinetuningRole) => kept?.[role] ?? seedOrdered(final[role], settings.seeds, role);
      return fig9Claims(experiment, settings, (role) => (kept ? summarize(kept[role]) : final[role]), perSeed);
    }
    case FIG10_ID: {
      const training = setup.training as { base: Parameters<typeof scaleContext>[0]; seeds: number[] };
      return fig10Claims(experiment, Number(setup.barrierTolerance), data.perSeed as Array<{ seed: number; points: InterpolationPoint[] }>, scaleContext(training.base, training.seeds));
    }
    case LABEL_NOISE_ID: {
      const settings = setup as unknown as LabelNoiseSettings;
      const outcomes: PanelOutcome[] = (data.outcomes as Array<{ panel: string; erm: Array<Record<string, unknown>>; sam: Array<Record<string, unknown>> }>).map((outcome) => ({
        panel: settings.panels.find((panel) => panel.label === outcome.panel)!,
        erm: outcome.erm.map(runOutcomeFromJson),
        sam: outcome.sam.map(runOutcomeFromJson),
      }));
      const skipped = (setup.skippedPanels as Array<{ label: string; reason: string }> | undefined) ?? [];
      return labelNoiseClaims(experiment, settings, outcomes, skipped);
    }
    case TRAINING_CONVERGENCE_ID: {
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
    default:
      return undefined;
  }
}
