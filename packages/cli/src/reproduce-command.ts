import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import {
  InputError,
  REPORTS_DIR_ENV_VAR,
  checkOutputLocation,
  listExperiments,
  parseProfile,
  profileReportsDir,
  readJsonIfExists,
  reportsDir,
  setSetting,
  writeJsonAtomic,
  type Profile,
} from "@sam-repro/runner";
import { describeBackend, initBackend } from "@sam-repro/runtime";
import { reproduceModules } from "./commands.js";

/**
 * `sam-repro reproduce <package | figure ids>`: runs one experiment package's figures (or the figures named,
 * comma-separated, each by the package its config names) at a profile, then prints a claims summary per package.
 */
export function registerReproduceCommand(program: Command): void {
  program
    .command("reproduce")
    .description("regenerate one package's figures, or the figures named, and their claims (reports/ for the cpu profile, reports/<profile>/ otherwise)")
    .argument("<target>", `experiment package (${Object.keys(reproduceModules).join(", ") || "none yet"}) or comma-separated figure ids`)
    .option("--profile <name>", "smoke | quick | cpu | paper (env SAM_REPRO_PROFILE; default cpu)")
    .option("--only <ids>", "with a package: comma-separated figure ids to run (default: all of the package)")
    .option("--out <dir>", `where the figures go (env ${REPORTS_DIR_ENV_VAR}; default reports/ at the cpu profile, reports/<profile>/ otherwise)`)
    .option("--json", "print each package's claims summary as one JSON object (a line) on stdout")
    .action(async (target: string, options: { profile?: string; only?: string; out?: string; json?: boolean }) => {
      const only = options.only?.split(",").map((id) => id.trim()).filter(Boolean);
      const plan = reproducePlan(target, only);
      const profile = parseProfile(options.profile);
      const out = profileReportsDir(profile, options.out);
      checkOutputLocation(out, options.out != null ? "--out" : "reports directory");
      // Every figure writer (and every worker process) takes its directory from the environment.
      setSetting(REPORTS_DIR_ENV_VAR, out);
      process.stderr.write(`${describeBackend(await initBackend())}\n`);
      for (const { packageName, only: ids } of plan) {
        const started = performance.now();
        await (await reproduceModules[packageName]!()).reproduce({ profile, ...(ids ? { only: ids } : {}) });
        const seconds = (performance.now() - started) / 1000;
        recordReproduceTiming(packageName, seconds, profile, ids, out);
        const summary = summarizeClaims(packageName, profile, out, ids ?? listExperiments(packageName), seconds);
        if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
        else process.stderr.write(formatClaimsSummary(summary));
      }
    });
}

/**
 * What `reproduce <target>` runs: a package (with --only, some of its figures), or figure ids grouped by
 * the package each config names, packages in the order of reproduceModules. One-line input errors name
 * the unknown value and what is allowed; nothing runs before the whole target is checked.
 */
export function reproducePlan(target: string, only?: string[]): Array<{ packageName: string; only?: string[] }> {
  const packages = Object.keys(reproduceModules);
  if (packages.includes(target)) return [{ packageName: target, ...(only ? { only } : {}) }];
  const ids = target.split(",").map((id) => id.trim()).filter(Boolean);
  const known = listExperiments();
  const unknown = ids.filter((id) => !known.includes(id));
  if (ids.length === 0 || unknown.length > 0) {
    throw new InputError(`reproduce: unknown package or figure id "${unknown[0] ?? target}"; allowed values: a package (${packages.join(", ")}) or figure ids (${known.join(", ")})`);
  }
  if (only) throw new InputError(`reproduce: --only "${only.join(",")}" needs a package as target; figure ids were given ("${target}"): name the figures in the target alone`);
  return packages
    .map((packageName) => ({ packageName, only: ids.filter((id) => listExperiments(packageName).includes(id)) }))
    .filter((entry) => entry.only.length > 0);
}

/** One reproduce run's wall time, as kept in reports/timings.json (the report lists it per target). */
export interface ReproduceTiming {
  seconds: number;
  profile: Profile;
  date: string;
  only?: string[];
}

/** Merges one package's wall time into reports/timings.json ({ "<package>": {seconds, profile, date} }), atomically. */
export function recordReproduceTiming(
  packageName: string,
  seconds: number,
  profile: Profile,
  only?: string[],
  directory: string = reportsDir(),
): void {
  const file = path.join(directory, "timings.json");
  const timings = readJsonIfExists<Record<string, ReproduceTiming>>(file) ?? {};
  timings[packageName] = { seconds, profile, date: new Date().toISOString(), ...(only ? { only } : {}) };
  writeJsonAtomic(file, timings);
}

/** What `reproduce` prints at the end: each figure's claims with their verdicts, and the counts per verdict. */
export interface ClaimsSummary {
  package: string;
  profile: Profile;
  reportsDirectory: string;
  seconds: number;
  /** Verdict -> number of claims ("holds", "does not hold", "inconclusive", "not run"). */
  counts: Record<string, number>;
  figures: Array<{ id: string; claims: Array<{ id: string; verdict: string; ourValue: unknown; paperValue: unknown }> }>;
  /** Figures whose claims.json is missing (the run did not write them). */
  missing: string[];
}

/** Reads `<directory>/<id>/claims.json` of each figure and counts the verdicts. */
export function summarizeClaims(packageName: string, profile: Profile, directory: string, figureIds: string[], seconds: number): ClaimsSummary {
  const counts: Record<string, number> = {};
  const figures: ClaimsSummary["figures"] = [];
  const missing: string[] = [];
  for (const id of figureIds) {
    const file = path.join(directory, id, "claims.json");
    if (!existsSync(file)) {
      missing.push(id);
      continue;
    }
    const claims = JSON.parse(readFileSync(file, "utf8")) as Array<{ id: string; verdict: string; ourValue?: unknown; paperValue?: unknown }>;
    for (const claim of claims) counts[claim.verdict] = (counts[claim.verdict] ?? 0) + 1;
    figures.push({ id, claims: claims.map((c) => ({ id: c.id, verdict: c.verdict, ourValue: c.ourValue ?? null, paperValue: c.paperValue ?? null })) });
  }
  return { package: packageName, profile, reportsDirectory: directory, seconds, counts, figures, missing };
}

/** The summary as lines for the terminal: one line per figure, then the totals. */
export function formatClaimsSummary(summary: ClaimsSummary): string {
  const lines = [`claims of ${summary.package} at the ${summary.profile} profile (${summary.reportsDirectory}, ${summary.seconds.toFixed(0)} s):`];
  for (const figure of summary.figures) {
    const verdicts = figure.claims.map((claim) => `${claim.id}: ${claim.verdict}`).join("; ");
    lines.push(`  ${figure.id}: ${verdicts || "no claims"}`);
  }
  for (const id of summary.missing) lines.push(`  ${id}: no claims.json written`);
  const total = Object.entries(summary.counts).map(([verdict, count]) => `${count} ${verdict}`).join(", ");
  lines.push(`total: ${total || "no claims"}`);
  return `${lines.join("\n")}\n`;
}
