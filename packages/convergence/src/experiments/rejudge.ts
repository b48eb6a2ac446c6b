/**
 * Re-judging the claims of this package's committed figures whose data.json keeps what the claims need (the
 * two-cycle figure) from their reports/<id>/data.json and meta.json settings, without training or rendering (see
 * @sam-repro/deep-nets' rejudge.ts, which re-judges the deep-net figures).
 */
import type { ClaimResult } from "@sam-repro/figures";
import type { ExperimentConfig } from "@sam-repro/runner";
import { TWO_CYCLE_ID, twoCycleClaims, type DistanceOutcome } from "./sam-two-cycle.js";
import type { TwoCycleSettings } from "../settings.js";

/** The claims of figure `id` re-judged from its committed data; undefined for a figure this package does not own. */
export function rejudgeConvergenceClaims(id: string, figure: { data: Record<string, unknown>; setup: Record<string, unknown> }, experiment: ExperimentConfig<unknown>): ClaimResult[] | undefined {
  const { data } = figure;
  if (id === TWO_CYCLE_ID) {
    const cycles = data.cycles as Array<{ gammaLambda: number; predictedAmplitude: number; relativeError: number; alternates: boolean }>;
    return twoCycleClaims(experiment as ExperimentConfig<TwoCycleSettings>, cycles, data.distanceRuns as DistanceOutcome[]);
  }
  return undefined;
}
