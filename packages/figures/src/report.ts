import path from "node:path";
import { reportsDir, writeFileAtomic } from "@sam-repro/runner";
import { formatMachine, readFigures, readTimings, verdictCounts } from "./report-data.js";
import { readLibraryScripts, renderHtml } from "./report-html.js";
import { renderMarkdown, type ReportContext } from "./report-markdown.js";
import type { Verdict } from "./types.js";
import { gitCommit, machineInfo } from "./write-figure.js";

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
 * reports/REPORT.md and the self-contained reports/index.html, each atomically.
 */
export async function buildReport(reportsDirectory: string = reportsDir()): Promise<ReportSummary> {
  const figures = readFigures(reportsDirectory);
  const timings = readTimings(reportsDirectory);
  const context: ReportContext = { commit: gitCommit(), date: new Date().toISOString(), machine: formatMachine(machineInfo()) };
  const markdownFile = path.join(reportsDirectory, "REPORT.md");
  const htmlFile = path.join(reportsDirectory, "index.html");
  writeFileAtomic(markdownFile, renderMarkdown(figures, timings, context));
  writeFileAtomic(htmlFile, renderHtml(figures, timings, context, readLibraryScripts()));
  const claims = figures.flatMap((figure) => figure.claims);
  return { markdownFile, htmlFile, figures: figures.length, claims: claims.length, counts: verdictCounts(claims) };
}
