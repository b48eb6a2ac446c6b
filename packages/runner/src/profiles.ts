/** Run profiles: `smoke` (seconds, tests), `cpu` (minutes on a 2-core machine, the default), `paper` (the paper's settings, GPU). */
export const PROFILES = ["smoke", "cpu", "paper"] as const;
export type Profile = (typeof PROFILES)[number];
export const DEFAULT_PROFILE: Profile = "cpu";
