import { writeFigure, type FigureOutput } from "@sam-repro/figures";
import { runFigures, type Profile } from "@sam-repro/runner";
import { DEEP_NET_FIGURES, remainingWork } from "./experiments/figure-table.js";
import { ensureCifar } from "./data/download.js";

/** The figures of this package, in the order `reproduce` runs them (Fig. 10 reuses Fig. 9's runs). */
export const FIGURES: ReadonlyArray<{ id: string; run: (profile: Profile) => Promise<FigureOutput> }> = DEEP_NET_FIGURES.map(({ id, run }) => ({ id, run }));

/**
 * Regenerates the deep-network figures (all, or the ids in `only`) at a profile under reports/
 * (SPEC 5.B). Training runs go to runs/deep-nets/<profile>/ and are reused when their config is unchanged.
 */
export async function reproduce(options: { profile: Profile; only?: string[] }): Promise<void> {
  const selected = DEEP_NET_FIGURES.filter((figure) => !options.only || options.only.includes(figure.id));
  const left = remainingWork(options.profile, selected);
  process.stderr.write(
    `deep-nets at the ${options.profile} profile: ${left.missing} of ${left.runs} training runs to do; estimated ${formatMinutes(left.minutes)} on a 2-core machine (the cost model of shared-runs.ts; runs already done are reused)\n`,
  );
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

/** Minutes as "42 min" or "3 h 05 min". */
function formatMinutes(minutes: number): string {
  if (minutes < 60) return `${Math.round(minutes)} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(Math.round(minutes - 60 * hours)).padStart(2, "0")} min`;
}
