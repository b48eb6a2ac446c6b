import { InputError, type Profile } from "@sam-repro/runner";
import { RHO_GRID_ID, reproduceRhoGrid } from "./experiments/diag-net-rho-grid.js";
import { FINETUNING_ID, INTERPOLATION_ID, reproduceFinetuning, reproduceInterpolation } from "./experiments/diag-net-finetuning.js";
import { EFFECTIVE_INIT_ID, reproduceEffectiveInit } from "./experiments/diag-net-effective-init.js";
import { FIG6_ID, reproduceFig6 } from "./experiments/fig6-diag-net.js";
import { RELU_ID, reproduceRelu1d } from "./experiments/relu-1d.js";

/** The figures of this package, in the order `reproduce` runs them; each writes reports/<id>/. */
export const FIGURES: ReadonlyArray<{ id: string; run: (profile: Profile) => Promise<string> }> = [
  { id: FIG6_ID, run: reproduceFig6 },
  { id: RHO_GRID_ID, run: reproduceRhoGrid },
  { id: FINETUNING_ID, run: reproduceFinetuning },
  { id: INTERPOLATION_ID, run: reproduceInterpolation },
  { id: EFFECTIVE_INIT_ID, run: reproduceEffectiveInit },
  { id: RELU_ID, run: reproduceRelu1d },
];

/** Regenerates this package's figures (all, or the ids in `only`) at a profile, under reports/ (SPEC 5.A). */
export async function reproduce(options: { profile: Profile; only?: string[] }): Promise<void> {
  const known = FIGURES.map((figure) => figure.id);
  const unknown = (options.only ?? []).filter((id) => !known.includes(id));
  if (unknown.length) throw new InputError(`--only: unknown figure id(s) ${unknown.join(", ")}; allowed: ${known.join(", ")}`);
  for (const figure of FIGURES) {
    if (options.only && !options.only.includes(figure.id)) continue;
    const started = performance.now();
    const directory = await figure.run(options.profile);
    process.stderr.write(`${figure.id}: wrote ${directory} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  }
}
