import type { JudgedClaim, Profile } from "@sam-repro/runner";

// The verdicts and the claims.json entry are defined once, by the runner's verdicts module that judges them.
export { VERDICTS, type Verdict } from "@sam-repro/runner";

/** One claim of the paper as checked by one figure: the paper's value, ours, the verdict and the rule behind it. */
export type ClaimResult = JudgedClaim;

/** Everything `writeFigure` needs to produce `reports/<id>/`. */
export interface FigureOutput {
  /** Figure id == experiments/<id>.json id == directory reports/<id>/. */
  id: string;
  title: string;
  /** The paper's figure this reproduces, e.g. "Figure 1" (the report orders figures by its number). */
  paperFigure: string;
  profile: Profile;
  /** The settings at the profile that ran. */
  setup: Record<string, unknown>;
  /** What was scaled down relative to the paper, in words. */
  scaledDown?: string;
  /** JSON data behind the figure. */
  data: unknown;
  /** A vega-lite spec with inline data (data.values), e.g. from `lineChart`. */
  spec: Record<string, unknown>;
  claims: ClaimResult[];
  wallSeconds: number;
  /** The tfjs backend line (`describeBackend(...)`), when the figure trained something. */
  backend?: string;
}

/** The provenance written to `reports/<id>/meta.json`. */
export interface FigureMeta {
  id: string;
  title: string;
  paperFigure: string;
  profile: Profile;
  setup: Record<string, unknown>;
  scaledDown: string | null;
  wallSeconds: number;
  backend: string | null;
  commit: string;
  date: string;
  machine: MachineInfo;
}

export interface MachineInfo {
  cpuCount: number;
  cpuModel: string;
  platform: string;
  node: string;
}
