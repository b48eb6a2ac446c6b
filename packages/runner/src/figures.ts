import { InputError } from "./errors.js";
import type { Profile } from "./profiles.js";

/** One figure of an experiment package: its id (= experiments/<id>.json = reports/<id>/) and what writes it. */
export interface FigureRunner {
  id: string;
  /** Runs the figure at a profile, writes reports/<id>/ and returns a one-line summary (e.g. the directory). */
  run: (profile: Profile) => Promise<string>;
}

/**
 * Runs a package's figures in order (all, or those named in `only`), printing one line per figure with its
 * wall time. Unknown ids in `only` are an InputError that lists the package's figure ids.
 */
export async function runFigures(figures: readonly FigureRunner[], options: { profile: Profile; only?: string[] }): Promise<void> {
  const known = figures.map((figure) => figure.id);
  const unknown = (options.only ?? []).filter((id) => !known.includes(id));
  if (unknown.length) throw new InputError(`--only: unknown figure id(s) ${unknown.join(", ")}; allowed: ${known.join(", ")}`);
  for (const figure of figures) {
    if (options.only && !options.only.includes(figure.id)) continue;
    const started = performance.now();
    const summary = await figure.run(options.profile);
    process.stderr.write(`${figure.id}: ${summary} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  }
}
