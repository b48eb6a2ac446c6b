/** REPORT.md from the figures under reports/: pure text building, no I/O. */
import type { ClaimResult } from "./types.js";
import {
  formatDuration,
  formatMachine,
  formatValue,
  scaledDownText,
  verdictCounts,
  type FigureEntry,
  type ReproduceTimings,
} from "./report-data.js";

/** Where and when the report was built. */
export interface ReportContext {
  commit: string;
  date: string;
  machine: string;
}

export const REPORT_TITLE = "Reproduction report: Towards Understanding Sharpness-Aware Minimization (ICML 2022)";
export const REGENERATE_COMMAND = "npm ci && npm run reproduce";

/** The whole REPORT.md: header, summary of all claims with counts, timings, one section per figure. */
export function renderMarkdown(figures: readonly FigureEntry[], timings: ReproduceTimings, context: ReportContext): string {
  const allClaims = figures.flatMap((figure) => figure.claims);
  const lines: string[] = [
    `# ${REPORT_TITLE}`,
    "",
    "This report collects every figure that the `reproduce` targets wrote under `reports/`: for each one the",
    "settings at the profile that ran, what was scaled down relative to the paper, the wall time, and each claim",
    "of the paper it checks with the paper's value, ours and a verdict. Profiles: `smoke` (seconds, a wiring",
    "check), `cpu` (minutes on a small CPU machine, scaled down), `paper` (the paper's settings, GPU).",
    "",
    `- Report built at commit \`${context.commit}\` on ${context.date}`,
    `- Machine that built it: ${context.machine}`,
    `- Figures come from commits ${uniqueList(figures.map((figure) => `\`${figure.meta.commit}\``))}`,
    `- Regenerate everything: \`${REGENERATE_COMMAND}\` (all reproduce targets, then this report);`,
    "  `npm run report` rebuilds only this report and `reports/index.html` (interactive figures) from `reports/`.",
    "",
    "## Summary",
    "",
    countsSentence(allClaims),
    "",
  ];
  if (allClaims.length > 0) {
    lines.push(
      "| Figure | Claim | Paper | Ours | Verdict | Profile |",
      "| --- | --- | --- | --- | --- | --- |",
      ...figures.flatMap((figure) =>
        figure.claims.map((claim) =>
          row([
            `[${figure.meta.paperFigure}](#${anchor(figure)})`,
            claim.statement,
            formatValue(claim.paperValue),
            formatValue(claim.ourValue),
            verdictText(claim),
            claim.profile,
          ]),
        ),
      ),
      "",
    );
  } else if (figures.length === 0) {
    lines.push("No figures yet: run `npm run reproduce` (or one package's `reproduce` target).", "");
  }

  const timingRows = Object.entries(timings).sort(([a], [b]) => a.localeCompare(b));
  if (timingRows.length > 0) {
    lines.push(
      "## Wall time per reproduce target",
      "",
      "| Target | Profile | Wall time | Finished |",
      "| --- | --- | --- | --- |",
      ...timingRows.map(([name, timing]) =>
        row([
          `${name}${timing.only ? ` (only ${timing.only.join(", ")})` : ""}`,
          timing.profile,
          formatDuration(timing.seconds),
          timing.date,
        ]),
      ),
      "",
    );
  }

  for (const figure of figures) lines.push(...figureSection(figure));
  return `${lines.join("\n").trimEnd()}\n`;
}

function figureSection(figure: FigureEntry): string[] {
  const { meta } = figure;
  const lines = [
    `<a id="${anchor(figure)}"></a>`,
    "",
    `## ${escapeHeading(meta.paperFigure)}: ${escapeHeading(meta.title)}`,
    "",
    `\`reports/${meta.id}/\` · profile \`${meta.profile}\` · wall time ${formatDuration(meta.wallSeconds)} · commit \`${meta.commit}\` · ${meta.date}`,
    "",
    `Machine: ${formatMachine(meta.machine)}${meta.backend ? `; backend: ${meta.backend}` : ""}`,
    "",
  ];
  if (figure.hasPng) lines.push(`![${escapeAlt(meta.title)}](${meta.id}/figure.png)`, "");
  lines.push(`**Scaled down relative to the paper:** ${scaledDownText(meta)}`, "");
  lines.push(`**Setup at profile \`${meta.profile}\`:**`, "", "```json", JSON.stringify(meta.setup, null, 2), "```", "");
  if (figure.claims.length === 0) {
    lines.push("This figure checks no claim.", "");
    return lines;
  }
  lines.push(
    countsSentence(figure.claims),
    "",
    "| Claim | Statement | Paper | Ours | Verdict | Profile | Details |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...figure.claims.map((claim) =>
      row([
        `\`${claim.id}\``,
        claim.statement,
        formatValue(claim.paperValue),
        formatValue(claim.ourValue),
        verdictText(claim),
        claim.profile,
        claim.details ?? "",
      ]),
    ),
    "",
  );
  return lines;
}

/** "7 claims: 4 hold, 2 do not hold, 1 not run." (inconclusive claims are counted only when there are any). */
export function countsSentence(claims: readonly ClaimResult[]): string {
  const counts = verdictCounts(claims);
  const inconclusive = counts.inconclusive > 0 ? `, ${counts.inconclusive} inconclusive` : "";
  return `${claims.length} claim${claims.length === 1 ? "" : "s"}: ${counts.holds} hold, ${counts["does not hold"]} do not hold${inconclusive}, ${counts["not run"]} not run.`;
}

function verdictText(claim: ClaimResult): string {
  return claim.verdict === "does not hold" ? "**does not hold**" : claim.verdict;
}

/** The HTML anchor of a figure's section (its id). */
export function anchor(figure: FigureEntry): string {
  return `figure-${figure.meta.id}`;
}

function uniqueList(values: string[]): string {
  const unique = [...new Set(values)];
  return unique.length > 0 ? unique.join(", ") : "(none)";
}

function row(cells: string[]): string {
  return `| ${cells.map(cell).join(" | ")} |`;
}

function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

function escapeHeading(text: string): string {
  return text.replace(/\r?\n/g, " ");
}

function escapeAlt(text: string): string {
  return text.replace(/[[\]\r\n]/g, " ");
}
