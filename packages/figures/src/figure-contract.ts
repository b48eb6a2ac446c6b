/**
 * The one figure contract of the experiment packages and the one driver that runs it.
 *
 * A figure is a `FigureDefinition`: its id (= experiments/<id>.json = reports/<id>/), the zod schema of one
 * profile's settings (validated by loadExperiment; the generated JSON Schemas come from it) and `produce`, which
 * builds the whole figure as a `FigureOutput`: the data, the chart (a vega-lite spec) and the judged claims.
 * `produce` never writes reports/<id>/ (it may train or read runs through a package's run cache); the driver
 * `reproduceFigures` writes what it returns with `writeFigure`, so every package runs its figures the same way.
 */
import { InputError, experimentsDir, listExperiments, type FigureSettings, type Profile } from "@sam-repro/runner";
import type { FigureOutput } from "./types.js";
import { writeFigure } from "./write-figure.js";

/** One figure: id, settings schema, and `produce` (data, chart and claims as one FigureOutput; writes nothing under reports/). */
export interface FigureDefinition extends FigureSettings {
  produce: (profile: Profile) => Promise<FigureOutput>;
}

/** What `reproduce` is asked for: the profile, and optionally some figure ids of the package. */
export interface ReproduceOptions {
  profile: Profile;
  only?: string[] | undefined;
}

/** Package-specific steps around the figures (deep-nets: the estimate of the training left, fetching CIFAR-10). */
export interface ReproduceHooks<D extends FigureDefinition> {
  /** Runs once, after `only` is validated and before the first figure, with the figures selected. */
  beforeAll?: (selected: readonly D[], profile: Profile) => void | Promise<void>;
  /** Runs before each figure's `produce`. */
  beforeFigure?: (figure: D, profile: Profile) => void | Promise<void>;
}

/**
 * Checks that the figures of a package are exactly the configs in experiments/ whose "package" field names it:
 * an Error names the configs without a figure and the figures without a config, so the list of figure ids is
 * the configs' list, never a second hand-kept one.
 */
export function checkFiguresMatchConfigs(packageName: string, figures: readonly FigureSettings[], directory: string = experimentsDir()): void {
  const configured = listExperiments(packageName, directory);
  const declared = figures.map((figure) => figure.id);
  const duplicated = declared.filter((id, index) => declared.indexOf(id) !== index);
  const withoutFigure = configured.filter((id) => !declared.includes(id));
  const withoutConfig = declared.filter((id) => !configured.includes(id));
  const problems = [
    withoutFigure.length ? `configs without a figure: ${withoutFigure.join(", ")}` : "",
    withoutConfig.length ? `figures without a config (no experiments/<id>.json with "package": "${packageName}"): ${withoutConfig.join(", ")}` : "",
    duplicated.length ? `figures declared twice: ${duplicated.join(", ")}` : "",
  ].filter(Boolean);
  if (problems.length) throw new Error(`${packageName}: the figures do not match experiments/ (${directory}): ${problems.join("; ")}`);
}

/**
 * Runs a package's figures at a profile (all, or those named in `only`) in the order of `definitions` (a figure
 * may reuse the runs of one before it), writes each with `writeFigure` and prints one line per figure: the
 * directory, each claim's verdict and the wall time. The definitions must match the package's configs
 * (checkFiguresMatchConfigs); an unknown id in `only` is an InputError that lists the package's figure ids.
 */
export async function reproduceFigures<D extends FigureDefinition>(
  packageName: string,
  definitions: readonly D[],
  options: ReproduceOptions,
  hooks: ReproduceHooks<D> = {},
): Promise<void> {
  checkFiguresMatchConfigs(packageName, definitions);
  const known = definitions.map((figure) => figure.id);
  const unknown = (options.only ?? []).filter((id) => !known.includes(id));
  if (unknown.length) throw new InputError(`--only: unknown figure id(s) ${unknown.join(", ")}; allowed: ${known.join(", ")}`);
  const selected = definitions.filter((figure) => !options.only || options.only.includes(figure.id));
  await hooks.beforeAll?.(selected, options.profile);
  for (const figure of selected) {
    const started = performance.now();
    await hooks.beforeFigure?.(figure, options.profile);
    const output = await figure.produce(options.profile);
    if (output.id !== figure.id) throw new Error(`figure ${figure.id}: produce returned the figure "${output.id}"`);
    const directory = await writeFigure(output);
    const verdicts = output.claims.map((claim) => `${claim.id}: ${claim.verdict}`).join(", ");
    process.stderr.write(`${figure.id}: wrote ${directory} — ${verdicts} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  }
}
