import { InputError } from "@sam-repro/runner";

/** Variables naming an output directory: set to an empty string they would silently mean the current directory. */
export const DIRECTORY_ENV_VARS = ["SAM_REPRO_REPORTS_DIR", "SAM_REPRO_RUNS_DIR"] as const;

/** Rejects an empty (or blank) directory variable with a one-line error naming it and what is allowed. */
export function checkEnvironmentVariables(environment: NodeJS.ProcessEnv): void {
  for (const name of DIRECTORY_ENV_VARS) {
    const value = environment[name];
    if (value !== undefined && value.trim() === "") {
      throw new InputError(`${name}: "${value}" is empty; set it to a directory or unset it for the default`);
    }
  }
}
