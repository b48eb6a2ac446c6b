/**
 * Reading the figure directories under reports/ and the pieces both report formats share
 * (order, counts, value formatting). Reads files; builds no output.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { InputError, type Profile } from "@sam-repro/runner";
import { VERDICTS, type ClaimResult, type FigureMeta, type Verdict } from "./types.js";

/** One figure as written by `writeFigure`. */
export interface FigureEntry {
  meta: FigureMeta;
  claims: ClaimResult[];
  /** The vega-lite spec with inline data, or null when spec.vl.json is missing. */
  spec: Record<string, unknown> | null;
  /** Whether figure.png exists beside meta.json. */
  hasPng: boolean;
}

/** reports/timings.json: wall time of each `sam-repro reproduce <package>` run, by package. */
export type ReproduceTimings = Record<string, { seconds: number; profile: Profile; date: string; only?: string[] }>;

export const TIMINGS_FILE = "timings.json";

/** Every reports/<id>/ that holds a meta.json, in paper-figure order. */
export function readFigures(reportsDirectory: string): FigureEntry[] {
  if (!existsSync(reportsDirectory)) return [];
  const entries: FigureEntry[] = [];
  for (const name of readdirSync(reportsDirectory, { withFileTypes: true })) {
    if (!name.isDirectory()) continue;
    const directory = path.join(reportsDirectory, name.name);
    const metaFile = path.join(directory, "meta.json");
    if (!existsSync(metaFile)) continue;
    const meta = readJson<FigureMeta>(metaFile);
    const claimsFile = path.join(directory, "claims.json");
    const claims = existsSync(claimsFile) ? readJson<ClaimResult[]>(claimsFile) : [];
    const specFile = path.join(directory, "spec.vl.json");
    const spec = existsSync(specFile) ? readJson<Record<string, unknown>>(specFile) : null;
    entries.push({ meta, claims, spec, hasPng: existsSync(path.join(directory, "figure.png")) });
  }
  return entries.sort(compareFigures);
}

/** reports/timings.json, or an empty record. */
export function readTimings(reportsDirectory: string): ReproduceTimings {
  const file = path.join(reportsDirectory, TIMINGS_FILE);
  return existsSync(file) ? readJson<ReproduceTimings>(file) : {};
}

/** The number in "Figure 6", "Fig. 9 (left)"; figures without one sort last. */
export function paperFigureNumber(paperFigure: string): number {
  const match = /fig(?:ure)?\.?\s*(\d+)/i.exec(paperFigure);
  return match ? Number(match[1]) : Number.POSITIVE_INFINITY;
}

function compareFigures(a: FigureEntry, b: FigureEntry): number {
  const byNumber = paperFigureNumber(a.meta.paperFigure) - paperFigureNumber(b.meta.paperFigure);
  if (byNumber !== 0 && !Number.isNaN(byNumber)) return byNumber;
  return a.meta.paperFigure.localeCompare(b.meta.paperFigure) || a.meta.id.localeCompare(b.meta.id);
}

/** How many claims have each verdict. */
export function verdictCounts(claims: readonly ClaimResult[]): Record<Verdict, number> {
  const counts = Object.fromEntries(VERDICTS.map((verdict) => [verdict, 0])) as Record<Verdict, number>;
  for (const claim of claims) counts[claim.verdict] += 1;
  return counts;
}

/** A claim value for a table cell: numbers to 4 significant digits, null as an em dash. */
export function formatValue(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return String(value);
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  }
  return value;
}

/** Seconds as "12.3 s", "4 min 12 s" or "2 h 5 min". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** What was scaled down, or why nothing is said. */
export function scaledDownText(meta: FigureMeta): string {
  if (meta.scaledDown) return meta.scaledDown;
  return meta.profile === "paper" ? "nothing (paper profile)." : "not stated by the figure's package.";
}

/** "2 × Intel Xeon ... (linux x64, node v20.20.2)". */
export function formatMachine(machine: FigureMeta["machine"]): string {
  return `${machine.cpuCount} × ${machine.cpuModel} (${machine.platform}, node ${machine.node})`;
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch (error) {
    throw new InputError(`${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}
