import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { experimentsDir, reportsDir, writeFileAtomic } from "@sam-repro/runner";
import { figuresNotRun, formatMachine, readFigures, readTimings, verdictCounts } from "./report-data.js";
import { readLibraryScripts, renderHtml } from "./report-html.js";
import { livePanel } from "./report-live.js";
import { renderMarkdown, type ReportContext } from "./report-markdown.js";
import { figureView } from "./report-model.js";
import type { Verdict } from "./types.js";
import { gitCommit, machineInfo } from "./write-figure.js";

/** Report sections that are not figures: reports/<dir>/README.md, shown in this order when present (`nx run peer:parity`). */
export const EXTRA_SECTION_DIRECTORIES = ["peer-parity"] as const;

function readExtraSections(reportsDirectory: string): string[] {
  return EXTRA_SECTION_DIRECTORIES.map((name) => path.join(reportsDirectory, name, "README.md"))
    .filter((file) => existsSync(file))
    .map((file) => readFileSync(file, "utf8"));
}

/** What `buildReport` wrote. */
export interface ReportSummary {
  markdownFile: string;
  htmlFile: string;
  figures: number;
  claims: number;
  counts: Record<Verdict, number>;
}

/**
 * Reads every reports/<id>/meta.json (+ claims.json, spec.vl.json) and reports/timings.json, and writes
 * reports/REPORT.md and the self-contained reports/index.html (with the live panel), each atomically.
 */
export async function buildReport(reportsDirectory: string = reportsDir()): Promise<ReportSummary> {
  // Figures are named by their configs (experiments/<id>.json) and drawn with the paper's values from them.
  const figures = readFigures(reportsDirectory, experimentsDir());
  const views = figures.map((figure) => figureView(figure));
  const timings = readTimings(reportsDirectory);
  const context: ReportContext = { commit: gitCommit(), date: new Date().toISOString(), machine: formatMachine(machineInfo()) };
  const markdownFile = path.join(reportsDirectory, "REPORT.md");
  const htmlFile = path.join(reportsDirectory, "index.html");
  // Without esbuild (an install without dev dependencies) the page is built without its live panel, and says so here.
  const panels = await livePanel().then(
    (panel) => [panel],
    (error: unknown) => {
      process.stderr.write(`report: the live panel is left out: ${error instanceof Error ? error.message : String(error)}\n`);
      return [];
    },
  );
  const notRun = figuresNotRun(reportsDirectory, experimentsDir());
  const html = renderHtml(views, timings, context, readLibraryScripts(), panels, notRun);
  writeFileAtomic(markdownFile, renderMarkdown(views, timings, context, readExtraSections(reportsDirectory), notRun));
  writeFileAtomic(htmlFile, html);
  const claims = figures.flatMap((figure) => figure.claims);
  return { markdownFile, htmlFile, figures: figures.length, claims: claims.length, counts: verdictCounts(claims) };
}
