import { reproduceFigures, type FigureDefinition, type ReproduceOptions } from "@sam-repro/figures";
import { RHO_GRID_ID, reproduceRhoGrid, rhoGridSettingsSchema } from "./experiments/diag-net-rho-grid.js";
import { FINETUNING_ID, finetuningSettingsSchema, reproduceFinetuning } from "./experiments/diag-net-finetuning.js";
import { INTERPOLATION_ID, interpolationSettingsSchema, reproduceInterpolation } from "./experiments/diag-net-interpolation.js";
import { EFFECTIVE_INIT_ID, effectiveInitSettingsSchema, reproduceEffectiveInit } from "./experiments/diag-net-effective-init.js";
import { FIG6_ID, fig6SettingsSchema, reproduceFig6 } from "./experiments/fig6-diag-net.js";
import { RELU_ID, relu1dSettingsSchema, reproduceRelu1d } from "./experiments/relu-1d.js";
import { THEOREM1_ID, reproduceTheorem1Magnitudes, theorem1SettingsSchema } from "./experiments/theorem1-magnitudes.js";

/**
 * The figures of this package, in the order `reproduce` runs them, each with the settings schema of one profile of
 * experiments/<id>.json (for the generated JSON Schemas); the driver checks the ids against the configs.
 */
export const FIGURES: readonly FigureDefinition[] = [
  { id: FIG6_ID, produce: reproduceFig6, settingsSchema: fig6SettingsSchema },
  { id: RHO_GRID_ID, produce: reproduceRhoGrid, settingsSchema: rhoGridSettingsSchema },
  { id: FINETUNING_ID, produce: reproduceFinetuning, settingsSchema: finetuningSettingsSchema },
  { id: INTERPOLATION_ID, produce: reproduceInterpolation, settingsSchema: interpolationSettingsSchema },
  { id: EFFECTIVE_INIT_ID, produce: reproduceEffectiveInit, settingsSchema: effectiveInitSettingsSchema },
  { id: RELU_ID, produce: reproduceRelu1d, settingsSchema: relu1dSettingsSchema },
  { id: THEOREM1_ID, produce: reproduceTheorem1Magnitudes, settingsSchema: theorem1SettingsSchema },
];

/** Regenerates this package's figures (all, or the ids in `only`) at a profile, under reports/ (SPEC 5.A). */
export async function reproduce(options: ReproduceOptions): Promise<void> {
  await reproduceFigures("implicit-bias", FIGURES, options);
}
