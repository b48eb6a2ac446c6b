import path from "node:path";
import { DEFAULT_PROFILE } from "./profiles.js";
import { REPORTS_DIR_ENV_VAR, defaultReportsDir, readSetting, reportsDirSetting } from "./settings.js";
import { workspaceRoot } from "./workspace.js";

export { REPORTS_DIR_ENV_VAR, workspaceRoot };

/** Where figures, claims and benchmarks are written: `reports/` at the workspace root unless overridden. */
export function reportsDir(): string {
  return reportsDirSetting();
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
  const fromEnvironment = readSetting(REPORTS_DIR_ENV_VAR);
  if (fromEnvironment !== undefined) return fromEnvironment;
  const base = defaultReportsDir();
  return profile === DEFAULT_PROFILE ? base : path.join(base, profile);
}
