import type { ClaimRule, Profile } from "@sam-repro/runner";

/**
 * Outcome of checking one claim: it holds, it does not hold, the evidence decides neither way
 * (e.g. a test over seeds that rejects neither hypothesis), or it was not run (data missing, skipped).
 */
export type Verdict = "holds" | "does not hold" | "inconclusive" | "not run";
export const VERDICTS: readonly Verdict[] = ["holds", "does not hold", "inconclusive", "not run"];

/** One claim of the paper as checked by one figure: the paper's value, ours, and the verdict at a profile. */
export interface ClaimResult {
  id: string;
  statement: string;
  paperValue: string | number | null;
  ourValue: string | number | null;
  verdict: Verdict;
  profile: Profile;
  /** How the verdict was reached (threshold, seeds, ...), in words. */
  details?: string;
  /** Whose claim it is: the paper's (the default) or a derivation of ours that the paper does not state. */
  derivation?: "paper" | "ours";
  /** The verdict rule the config declares for this claim (runner's verdicts module), with its parameters. */
  rule?: ClaimRule;
}

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
