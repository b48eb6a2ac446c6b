import { InputError } from "./errors.js";

/** Run profiles: `smoke` (seconds, tests), `cpu` (minutes on a 2-core machine, the default), `paper` (the paper's settings, GPU). */
export const PROFILES = ["smoke", "cpu", "paper"] as const;
export type Profile = (typeof PROFILES)[number];
export const DEFAULT_PROFILE: Profile = "cpu";
export const PROFILE_ENV_VAR = "SAM_REPRO_PROFILE";

/** Parses a profile name, with an error that names the source, the value and the allowed values. */
export function parseProfile(value: string | undefined, source = "--profile"): Profile {
  const chosen = value ?? process.env[PROFILE_ENV_VAR] ?? DEFAULT_PROFILE;
  if ((PROFILES as readonly string[]).includes(chosen)) return chosen as Profile;
  const where = value === undefined && process.env[PROFILE_ENV_VAR] !== undefined ? PROFILE_ENV_VAR : source;
  throw new InputError(`${where}: unknown profile "${chosen}"; allowed values: ${PROFILES.join(", ")}`);
}
