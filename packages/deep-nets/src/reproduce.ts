import { writeFigure, type FigureOutput } from "@sam-repro/figures";
import { runFigures, type Profile } from "@sam-repro/runner";
import { FIG1_ID, reproduceFig1 } from "./experiments/fig1-perturbations.js";
import { FIG9_ID, reproduceFig9 } from "./experiments/fig9-finetuning.js";
import { FIG10_ID, reproduceFig10 } from "./experiments/fig10-interpolation.js";
import { MSAM_ID, reproduceMsam } from "./experiments/msam-vs-m.js";
import { MSHARPNESS_FIGURES } from "./experiments/msharpness-figures.js";
import { ensureCifar } from "./data/download.js";

/** The figures of this package, in the order `reproduce` runs them (Fig. 10 reuses Fig. 9's runs). */
export const FIGURES: ReadonlyArray<{ id: string; run: (profile: Profile) => Promise<FigureOutput> }> = [
  { id: FIG1_ID, run: reproduceFig1 },
  { id: MSAM_ID, run: reproduceMsam },
  { id: FIG9_ID, run: reproduceFig9 },
  { id: FIG10_ID, run: reproduceFig10 },
  // Issue 13 parts 1-6: the m-sharpness hypotheses, switch timing, convergence, normalization (shared runs).
  ...MSHARPNESS_FIGURES.map(({ id, run }) => ({ id, run })),
];

/**
 * Regenerates the deep-network figures (all, or the ids in `only`) at a profile under reports/
 * (SPEC 5.B). Training runs go to runs/deep-nets/<profile>/ and are reused when their config is unchanged.
 */
export async function reproduce(options: { profile: Profile; only?: string[] }): Promise<void> {
  let data: Promise<unknown> | null = null;
  const runners = FIGURES.map((figure) => ({
    id: figure.id,
    run: async (profile: Profile) => {
      // CIFAR-10 is fetched on first use; offline, the error names the download command (download.ts).
      await (data ??= ensureCifar("cifar10"));
      const output = await figure.run(profile);
      const directory = await writeFigure(output);
      return `wrote ${directory} — ${output.claims.map((claim) => `${claim.id}: ${claim.verdict}`).join(", ")}`;
    },
  }));
  await runFigures(runners, options);
}
