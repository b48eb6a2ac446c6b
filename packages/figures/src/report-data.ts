/**
 * Reading the figure directories under reports/ and the pieces both report formats share
 * (order, counts, value formatting). Reads files; builds no output.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { InputError, type Profile } from "@sam-repro/runner";
import { VERDICTS, type ClaimResult, type FigureMeta, type Verdict } from "./types.js";
import { figureDirectoryProblem } from "./write-figure.js";

/** One figure as written by `writeFigure`. */
export interface FigureEntry {
  meta: FigureMeta;
  claims: ClaimResult[];
  /** The vega-lite spec with inline data, or null when spec.vl.json is missing. */
  spec: Record<string, unknown> | null;
  /** Whether figure.png exists beside meta.json. */
  hasPng: boolean;
  /** The `reference` block of experiments/<id>.json (the paper's values), when the config was found. */
  reference?: Record<string, unknown>;
  /** The config's `findings` for the profile that ran (what we read in the results, written after the runs). */
  findings?: string[];
}

/** reports/timings.json: wall time of each `sam-repro reproduce <package>` run, by package. */
export type ReproduceTimings = Record<string, { seconds: number; profile: Profile; date: string; only?: string[] }>;

export const TIMINGS_FILE = "timings.json";

/**
 * Every reports/<id>/ that holds a meta.json, in paper-figure order. When `experimentsDirectory` holds
 * experiments/<id>.json, its `title` and `paperFigure` name the figure (the config is where a figure is named;
 * meta.json keeps what the run wrote, which may predate a renaming).
 */
export function readFigures(reportsDirectory: string, experimentsDirectory?: string): FigureEntry[] {
  if (!existsSync(reportsDirectory)) return [];
  const entries: FigureEntry[] = [];
  for (const name of readdirSync(reportsDirectory, { withFileTypes: true })) {
    if (!name.isDirectory() || name.name.startsWith(".")) continue; // hidden: a figure being written (writeFigure)
    const directory = path.join(reportsDirectory, name.name);
    const metaFile = path.join(directory, "meta.json");
    if (!existsSync(metaFile)) continue;
    const problem = figureDirectoryProblem(directory);
    if (problem) throw new InputError(`${directory}: ${problem}; the figure was not written whole, run it again (sam-repro reproduce <package> --only ${name.name})`);
    const config = experimentsDirectory ? readConfig(experimentsDirectory, name.name) : null;
    const meta = { ...readJson<FigureMeta>(metaFile), ...(config ? configLabels(config) : {}) };
    const claimsFile = path.join(directory, "claims.json");
    const claims = existsSync(claimsFile) ? readJson<ClaimResult[]>(claimsFile) : [];
    const specFile = path.join(directory, "spec.vl.json");
    const spec = existsSync(specFile) ? readJson<Record<string, unknown>>(specFile) : null;
    const reference = config && typeof config.reference === "object" && config.reference !== null ? { reference: config.reference as Record<string, unknown> } : {};
    const findings = configFindings(config, meta.profile);
    entries.push({ meta, claims, spec, hasPng: existsSync(path.join(directory, "figure.png")), ...reference, ...(findings.length ? { findings } : {}) });
  }
  return entries.sort(compareFigures);
}

/** The lines of a config's `findings` for one profile (none when the config or the profile has none). */
export function configFindings(config: Record<string, unknown> | null, profile: string): string[] {
  const findings = config?.findings as Record<string, unknown> | undefined;
  const lines = findings?.[profile];
  return Array.isArray(lines) ? lines.filter((line): line is string => typeof line === "string") : [];
}

/** A figure with a config in experiments/ and nothing written for it in the reports directory. */
export interface FigureNotRun {
  id: string;
  title: string;
  package: string;
}

/**
 * The configs of experiments/ whose figure has no meta.json in the reports directory (not yet run at this
 * profile, or removed because its settings changed): the report lists them rather than leave them out silently.
 */
export function figuresNotRun(reportsDirectory: string, experimentsDirectory: string): FigureNotRun[] {
  if (!existsSync(experimentsDirectory)) return [];
  return readdirSync(experimentsDirectory)
    .filter((file) => file.endsWith(".json"))
    .map((file) => file.slice(0, -".json".length))
    .filter((id) => !existsSync(path.join(reportsDirectory, id, "meta.json")))
    .map((id) => {
      const config = readConfig(experimentsDirectory, id) ?? {};
      return { id, title: typeof config.title === "string" ? config.title : id, package: typeof config.package === "string" ? config.package : "?" };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** reports/timings.json, or an empty record. */
export function readTimings(reportsDirectory: string): ReproduceTimings {
  const file = path.join(reportsDirectory, TIMINGS_FILE);
  return existsSync(file) ? readJson<ReproduceTimings>(file) : {};
}

/** experiments/<id>.json as plain JSON, or null when there is none. */
function readConfig(experimentsDirectory: string, id: string): Record<string, unknown> | null {
  const file = path.join(experimentsDirectory, `${id}.json`);
  return existsSync(file) ? readJson<Record<string, unknown>>(file) : null;
}

/** `title` and `paperFigure` of a config, where it has them. */
function configLabels(config: Record<string, unknown>): Partial<Pick<FigureMeta, "title" | "paperFigure">> {
  const labels: Partial<Pick<FigureMeta, "title" | "paperFigure">> = {};
  if (typeof config.title === "string" && config.title) labels.title = config.title;
  if (typeof config.paperFigure === "string" && config.paperFigure) labels.paperFigure = config.paperFigure;
  return labels;
}

/**
 * The paper's number of a figure labelled "Figure 6" or "Fig. 12" (the label is exactly that, so a label that
 * only mentions a figure, "analogue of Fig. 9", has none); figures without one sort after the numbered ones.
 */
export function paperFigureNumber(paperFigure: string): number {
  const match = /^\s*fig(?:ure)?\.?\s*(\d+)\b/i.exec(paperFigure);
  return match ? Number(match[1]) : Number.POSITIVE_INFINITY;
}

/** Order of the unnumbered kinds: other paper figures, checks of the paper's theorems, the official notebooks, our derivations. */
const KIND_ORDER: ReadonlyArray<RegExp> = [/^\s*paper\b/i, /\btheorem\b/i, /\bnotebook\b/i, /\bour derivation\b/i];

function kindRank(paperFigure: string): number {
  const rank = KIND_ORDER.findIndex((pattern) => pattern.test(paperFigure));
  return rank === -1 ? KIND_ORDER.length : rank;
}

function compareFigures(a: FigureEntry, b: FigureEntry): number {
  const byNumber = paperFigureNumber(a.meta.paperFigure) - paperFigureNumber(b.meta.paperFigure);
  if (byNumber !== 0 && !Number.isNaN(byNumber)) return byNumber;
  const byKind = kindRank(a.meta.paperFigure) - kindRank(b.meta.paperFigure);
  if (byKind !== 0) return byKind;
  return a.meta.paperFigure.localeCompare(b.meta.paperFigure) || a.meta.id.localeCompare(b.meta.id);
}

/** How many claims have each verdict. */
export function verdictCounts(claims: readonly ClaimResult[]): Record<Verdict, number> {
  const counts = Object.fromEntries(VERDICTS.map((verdict) => [verdict, 0])) as Record<Verdict, number>;
  for (const claim of claims) counts[claim.verdict] += 1;
  return counts;
}

export { formatValue } from "./report-text.js";

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
