import { reproduceFigures, type FigureDefinition, type ReproduceOptions } from "@sam-repro/figures";
import { floorSettingsSchema, rateSettingsSchema, stabilitySettingsSchema, twoCycleSettingsSchema } from "./settings.js";
import { theorem2NonconvexSettingsSchema, theorem2PlSettingsSchema } from "./theorem2-settings.js";
import { FLOOR_ID, reproduceFloor } from "./experiments/batch-size-floor.js";
import { TWO_CYCLE_ID, reproduceTwoCycle } from "./experiments/sam-two-cycle.js";
import { RATE_ID, reproduceRate } from "./experiments/stochastic-convergence-rate.js";
import { STABILITY_ID, reproduceStability } from "./experiments/usam-stability-quadratic.js";
import { THEOREM2_NONCONVEX_ID, reproduceTheorem2Nonconvex } from "./experiments/theorem2-nonconvex.js";
import { THEOREM2_PL_ID, reproduceTheorem2Pl } from "./experiments/theorem2-pl.js";

/**
 * The theory checks of SPEC 2.4 / 5.A5 (issue 5 parts 1 and 2), in the order `reproduce` runs them, with the
 * settings schema of one profile of experiments/<id>.json (for the generated JSON Schemas); the driver checks the
 * ids against the configs.
 */
export const THEORY_FIGURES: readonly FigureDefinition[] = [
  { id: STABILITY_ID, produce: reproduceStability, settingsSchema: stabilitySettingsSchema },
  { id: TWO_CYCLE_ID, produce: reproduceTwoCycle, settingsSchema: twoCycleSettingsSchema },
  { id: RATE_ID, produce: reproduceRate, settingsSchema: rateSettingsSchema },
  { id: FLOOR_ID, produce: reproduceFloor, settingsSchema: floorSettingsSchema },
  { id: THEOREM2_NONCONVEX_ID, produce: reproduceTheorem2Nonconvex, settingsSchema: theorem2NonconvexSettingsSchema },
  { id: THEOREM2_PL_ID, produce: reproduceTheorem2Pl, settingsSchema: theorem2PlSettingsSchema },
];

/** Regenerates this package's figures (all, or the ids in `only`) at a profile, under reports/ (SPEC 5.A5). */
export async function reproduce(options: ReproduceOptions): Promise<void> {
  await reproduceFigures("convergence", THEORY_FIGURES, options);
}
