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

/** A package's subcommands: the top-level command names it adds, and how to load it. */
export interface CommandModuleEntry {
  commands: readonly string[];
  load: () => Promise<CommandModule>;
}

/**
 * The packages whose subcommands the CLI offers. Loaded lazily: a command loads only the package
 * that provides it, so one package's heavy imports (vega, datasets) do not slow down another's.
 */
export const commandModules: CommandModuleEntry[] = [
  { commands: ["report"], load: () => import("@sam-repro/figures") },
  { commands: ["diag-net"], load: () => import("@sam-repro/implicit-bias") },
  { commands: ["convergence"], load: () => import("@sam-repro/convergence") },
  { commands: ["train", "sharpness", "data"], load: () => import("@sam-repro/deep-nets") },
  { commands: ["sweep", "worker"], load: () => import("@sam-repro/sweep") },
];

/** `sam-repro reproduce <name>`: the experiment packages by short name. */
export const reproduceModules: Record<string, () => Promise<ReproduceModule>> = {};
reproduceModules["implicit-bias"] = () => import("@sam-repro/implicit-bias");
reproduceModules["convergence"] = () => import("@sam-repro/convergence");
reproduceModules["deep-nets"] = () => import("@sam-repro/deep-nets");
