/**
 * The one description of the report that both REPORT.md and index.html lay out: each figure's heading,
 * its kind, the one-line provenance, the claims with every value written for readers, and the page's spec.
 * Pure: figure entries in, views out.
 */
import type { ClaimRule } from "@sam-repro/runner";
import { formatDuration, formatMachine, paperFigureNumber, scaledDownText, verdictCounts, type FigureEntry } from "./report-data.js";
import { addReferenceMarks } from "./report-references.js";
import { enrichSpec } from "./report-spec.js";
import { forReaders, formatNumber, formatValue, readableJson } from "./report-text.js";
import type { ClaimResult, Verdict } from "./types.js";

export const PAPER = { title: "Towards Understanding Sharpness-Aware Minimization", venue: "ICML 2022", url: "https://arxiv.org/abs/2206.06232", arxiv: "arXiv 2206.06232" };
export const OFFICIAL_CODE = { label: "tml-epfl/understanding-sam", url: "https://github.com/tml-epfl/understanding-sam" };

/** One claim as a reader sees it. */
export interface ClaimView {
  id: string;
  statement: string;
  paper: string;
  ours: string;
  verdict: Verdict;
  profile: string;
  /** How it was judged: the declared rule in words, then the details the figure wrote. */
  details: string;
  /** A derivation of ours, not a statement of the paper. */
  ourDerivation: boolean;
}

/** The line above a figure's findings (markdown; the page drops the bold marks). */
export const FINDINGS_HEADING = "**What we read in these results** (written after the runs; it changes no verdict, each verdict follows its claim's rule):";

/** One figure as a reader sees it. */
export interface FigureView {
  id: string;
  anchor: string;
  /** "Figure 6: Implicit bias of ..." when the paper's number is known, else the title. */
  heading: string;
  /** What the figure is when it has no certain number ("Our derivation; no paper figure"), else null. */
  kind: string | null;
  profile: string;
  /** Profile, commit, date, machine, backend and wall time in one line. */
  provenance: string;
  scaledDown: string;
  setup: unknown;
  claims: ClaimView[];
  /** What we read in these results (the config's findings for this profile), written after the runs; may be empty. */
  findings: string[];
  counts: Record<Verdict, number>;
  hasPng: boolean;
  /** The spec the page renders: tooltips, zoom on log axes, readable titles, the paper's values; null without a spec. */
  spec: Record<string, unknown> | null;
}

/** The view of one figure; `reference` is the config's `reference` block (the paper's values), when known. */
export function figureView(entry: FigureEntry, reference: Record<string, unknown> | undefined = entry.reference): FigureView {
  const { meta } = entry;
  const number = paperFigureNumber(meta.paperFigure);
  const title = forReaders(meta.title.replace(/^\s*Fig(?:ure)?\.?\s*\d+\s*:\s*/i, ""));
  const claims = entry.claims.map(claimView);
  return {
    id: meta.id,
    anchor: `figure-${meta.id}`,
    heading: Number.isFinite(number) ? `Figure ${number}: ${title}` : title,
    kind: Number.isFinite(number) ? null : forReaders(meta.paperFigure) || null,
    profile: meta.profile,
    provenance: provenanceLine(entry),
    scaledDown: forReaders(scaledDownText(meta)),
    setup: readableJson(meta.setup),
    claims,
    findings: (entry.findings ?? []).map(forReaders),
    counts: verdictCounts(entry.claims),
    hasPng: entry.hasPng,
    spec: entry.spec ? addReferenceMarks(meta.id, enrichSpec(entry.spec), reference) : null,
  };
}

/** "profile cpu · commit 06ab2bf · 2026-12-01 14:03 UTC · 2 × Intel Xeon (linux x64, node v20.20.2) · backend native (...) · wall time 4 min 12 s". */
export function provenanceLine(entry: FigureEntry): string {
  const { meta } = entry;
  const parts = [
    `profile ${meta.profile}`,
    `commit ${meta.commit}`,
    readableDate(meta.date),
    formatMachine(meta.machine),
    ...(meta.backend ? [`backend ${meta.backend.replace(/^backend:\s*/i, "")}`] : []),
    `wall time ${formatDuration(meta.wallSeconds)}`,
  ];
  return parts.join(" · ");
}

/** "2026-12-01T14:03:22.123Z" as "2026-12-01 14:03 UTC"; anything else unchanged. */
export function readableDate(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return match ? `${match[1]} ${match[2]} UTC` : iso;
}

function claimView(claim: ClaimResult): ClaimView {
  // The declared rule in words, unless the figure's details already state it.
  const rule = claim.rule && !/\bRule:/.test(claim.details ?? "") ? `Rule: ${describeRule(claim.rule)}.` : "";
  return {
    id: claim.id,
    statement: forReaders(claim.statement),
    paper: formatValue(claim.paperValue),
    ours: formatValue(claim.ourValue),
    verdict: claim.verdict,
    profile: claim.profile,
    details: [rule, forReaders(claim.details ?? "")].filter(Boolean).join(" "),
    ourDerivation: claim.derivation === "ours",
  };
}

/** A declared verdict rule in words, e.g. "paired one-sided t-test over seeds that it improves, α = 0.05". */
export function describeRule(rule: ClaimRule): string {
  const at = "radius" in rule && rule.radius !== undefined ? (rule.radius === "holm" ? ", every radius with Holm's correction" : `, at ρ = ${rule.radius}`) : "";
  switch (rule.id) {
    case "paired-t-improves":
      return `paired one-sided t-test over seeds that it improves${rule.margin > 0 ? ` by more than ${formatNumber(rule.margin)}` : ""}, α = ${rule.alpha}${at}`;
    case "paired-t-no-gain":
      return `paired one-sided t-test over seeds that any gain is below ${formatNumber(rule.margin)}, α = ${rule.alpha}${at}`;
    case "paired-tost-equivalent":
      return `paired equivalence test (TOST) within ±${formatNumber(rule.margin)}, α = ${rule.alpha}`;
    case "threshold": {
      const value: unknown = rule.value;
      const bound =
        typeof value === "number"
          ? formatNumber(value)
          : Array.isArray(value)
            ? `[${value.map((entry) => formatNumber(Number(entry))).join(", ")}]`
            : `the profile's ${String((value as { setting?: unknown }).setting)}`;
      return `${forReaders(rule.quantity)} ${rule.comparison} ${bound}`;
    }
    case "fraction-of-draws":
      return `${forReaders(rule.quantity)} on at least ${formatNumber(rule.holdsAtLeast * 100)}% of ${rule.draws} draws (does not hold below ${formatNumber(rule.failsBelow * 100)}%)`;
    default:
      return JSON.stringify(rule);
  }
}

/** "7 claims: 4 hold, 2 do not hold, 1 not run." (inconclusive claims are counted only when there are any). */
export function countsSentence(claims: readonly ClaimResult[] | readonly ClaimView[]): string {
  const counts = verdictCounts(claims as readonly ClaimResult[]);
  const inconclusive = counts.inconclusive > 0 ? `, ${counts.inconclusive} inconclusive` : "";
  return `${claims.length} claim${claims.length === 1 ? "" : "s"}: ${counts.holds} hold, ${counts["does not hold"]} do not hold${inconclusive}, ${counts["not run"]} not run.`;
}
