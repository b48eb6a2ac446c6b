/**
 * Run profiles: `smoke` (seconds, tests), `quick` (minutes: the old tiny deep-net settings, a first look
 * whose deep-net verdicts are noise; figures without one run their cpu settings), `cpu` (the default: the
 * regime where the deep-net effects show, hours on a 2-core machine), `paper` (the paper's settings, GPU).
 */
export const PROFILES = ["smoke", "quick", "cpu", "paper"] as const;
export type Profile = (typeof PROFILES)[number];
export const DEFAULT_PROFILE: Profile = "cpu";
