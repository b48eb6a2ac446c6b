import type { Command } from "commander";

/** A package that adds subcommands to `sam-repro`. */
export interface CommandModule {
  registerCommands(program: Command): void;
}

/**
 * The packages whose subcommands the CLI offers, loaded lazily so `sam-repro --help` stays fast
 * and one package's heavy imports (tfjs, vega) load only when its command runs.
 */
export const commandModules: Array<() => Promise<CommandModule>> = [];
