import type { Command } from "commander";
import type { Profile } from "@sam-repro/runner";

/** A package that adds subcommands to `sam-repro`. */
export interface CommandModule {
  registerCommands(program: Command): void;
}

/** A package with an nx `reproduce` target: regenerates its figures under reports/. */
export interface ReproduceModule {
  reproduce(options: { profile: Profile; only?: string[] }): Promise<void>;
}

/**
 * The packages whose subcommands the CLI offers, loaded lazily so `sam-repro --help` stays fast
 * and one package's heavy imports (tfjs, vega) load only when its command runs.
 */
export const commandModules: Array<() => Promise<CommandModule>> = [
  () => import("@sam-repro/figures"), // sam-repro report
];

/** `sam-repro reproduce <name>`: the experiment packages by short name. */
export const reproduceModules: Record<string, () => Promise<ReproduceModule>> = {};
