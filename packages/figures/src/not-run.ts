/**
 * The figure of an experiment that could not run (e.g. its dataset is missing): a chart that says why, and every
 * claim of the config "not run" with the reason. Pure: the caller writes it with `writeFigure`.
 */
import { notRunClaim, type ExperimentConfig } from "@sam-repro/runner";
import { houseStyle, type Spec } from "./style.js";
import type { FigureOutput } from "./types.js";

/** A one-line chart "Not run: <reason>" under the figure's title. */
export function notRunSpec(title: string, reason: string): Spec {
  return houseStyle({
    title,
    width: 520,
    height: 80,
    data: { values: [{ text: `Not run: ${reason}` }] },
    mark: { type: "text", fontSize: 13, align: "center", baseline: "middle", limit: 500 },
    encoding: { text: { field: "text", type: "nominal" } },
  });
}

/** The figure of `config` that did not run: its settings, `{ notRun: reason }` as data, every claim "not run". */
export function notRunFigure(config: ExperimentConfig<unknown>, reason: string, started: number, paperFigure: string): FigureOutput {
  return {
    id: config.id,
    title: config.title,
    paperFigure,
    profile: config.profile,
    setup: config.settings as Record<string, unknown>,
    data: { notRun: reason },
    spec: notRunSpec(config.title, reason),
    claims: config.claims.map((claim) => notRunClaim(config, claim.id, reason)),
    wallSeconds: (performance.now() - started) / 1000,
  };
}
