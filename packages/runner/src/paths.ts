import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_PROFILE } from "./profiles.js";

/** Root of the sam-repro workspace (the directory whose package.json declares the workspaces). */
export function workspaceRoot(start = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, "utf8")) as { workspaces?: unknown; name?: string };
      if (pkg.workspaces && pkg.name === "sam-repro") return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** Environment variable that moves the reports directory (tests point it at a temporary directory). */
export const REPORTS_DIR_ENV_VAR = "SAM_REPRO_REPORTS_DIR";

/** Where figures, claims and benchmarks are written: `reports/` at the workspace root unless overridden. */
export function reportsDir(): string {
  return process.env[REPORTS_DIR_ENV_VAR] ?? path.join(workspaceRoot(), "reports");
}

/** The experiment configs, one JSON file per paper figure. */
export function experimentsDir(): string {
  return path.join(workspaceRoot(), "experiments");
}

/**
 * Where a reproduction at `profile` writes its figures: `out` (the `--out` flag), else $SAM_REPRO_REPORTS_DIR,
 * else `reports/` for the default profile and `reports/<profile>/` for the others, so that a smoke or paper run
 * never overwrites the committed results of the default profile.
 */
export function profileReportsDir(profile: string, out?: string): string {
  if (out != null && out !== "") return path.resolve(out);
  const fromEnvironment = process.env[REPORTS_DIR_ENV_VAR];
  if (fromEnvironment != null && fromEnvironment !== "") return fromEnvironment;
  const base = path.join(workspaceRoot(), "reports");
  return profile === DEFAULT_PROFILE ? base : path.join(base, profile);
}
