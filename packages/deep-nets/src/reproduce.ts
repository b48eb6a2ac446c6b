import { reproduceFigures, type ReproduceOptions } from "@sam-repro/figures";
import { InputError } from "@sam-repro/runner";
import { DEEP_NET_FIGURES, describeRemaining, remainingWork, type DeepNetFigure } from "./experiments/figure-table.js";
import { ensureCifar } from "./data/download.js";

/** The figures of this package, in the order `reproduce` runs them (Fig. 10 reuses Fig. 9's runs). */
export const FIGURES: readonly DeepNetFigure[] = DEEP_NET_FIGURES;

/**
 * Regenerates the deep-network figures (all, or the ids in `only`) at a profile under reports/
 * (SPEC 5.B). Training runs go to runs/deep-nets/<profile>/ and are reused when their config is unchanged.
 * Before the first figure it prints the estimated training left; before each, it makes sure CIFAR-10 is there.
 */
export async function reproduce(options: ReproduceOptions): Promise<void> {
  let data: Promise<unknown> | null = null;
  await reproduceFigures("deep-nets", DEEP_NET_FIGURES, options, {
    beforeAll: (selected, profile) => {
      process.stderr.write(`${describeRemaining("deep-nets", profile, remainingWork(profile, selected))}\n`);
    },
    beforeFigure: async (figure) => {
      // CIFAR-10 is fetched on first use; offline, the error names the download command (download.ts), except
      // for the figures that then report their claims "not run" (they check the files themselves).
      try {
        await (data ??= ensureCifar("cifar10"));
      } catch (error) {
        if (!(figure.notRunWithoutData && error instanceof InputError)) throw error;
      }
    },
  });
}
