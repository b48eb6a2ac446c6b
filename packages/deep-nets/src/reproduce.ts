import { writeFigure, type FigureOutput } from "@sam-repro/figures";
import { InputError, runFigures, type Profile } from "@sam-repro/runner";
import { DEEP_NET_FIGURES, describeRemaining, remainingWork } from "./experiments/figure-table.js";
import { ensureCifar } from "./data/download.js";

/** The figures of this package, in the order `reproduce` runs them (Fig. 10 reuses Fig. 9's runs). */
export const FIGURES: ReadonlyArray<{ id: string; run: (profile: Profile) => Promise<FigureOutput> }> = DEEP_NET_FIGURES.map(({ id, run }) => ({ id, run }));

/**
 * Regenerates the deep-network figures (all, or the ids in `only`) at a profile under reports/
 * (SPEC 5.B). Training runs go to runs/deep-nets/<profile>/ and are reused when their config is unchanged.
 */
export async function reproduce(options: { profile: Profile; only?: string[] }): Promise<void> {
  const selected = DEEP_NET_FIGURES.filter((figure) => !options.only || options.only.includes(figure.id));
  process.stderr.write(`${describeRemaining("deep-nets", options.profile, remainingWork(options.profile, selected))}\n`);
  let data: Promise<unknown> | null = null;
  const runners = DEEP_NET_FIGURES.map((figure) => ({
    id: figure.id,
    run: async (profile: Profile) => {
      // CIFAR-10 is fetched on first use; offline, the error names the download command (download.ts), except
      // for the figures that then report their claims "not run" (they check the files themselves).
      try {
        await (data ??= ensureCifar("cifar10"));
      } catch (error) {
        if (!(figure.notRunWithoutData && error instanceof InputError)) throw error;
      }
      const output = await figure.run(profile);
      const directory = await writeFigure(output);
      return `wrote ${directory} — ${output.claims.map((claim) => `${claim.id}: ${claim.verdict}`).join(", ")}`;
    },
  }));
  await runFigures(runners, options);
}

