import path from "node:path";
import type { Command } from "commander";
import { InputError, parseProfile, readJsonIfExists, reportsDir, writeJsonAtomic, type Profile } from "@sam-repro/runner";
import { describeBackend, initBackend } from "@sam-repro/runtime";
import { reproduceModules } from "./commands.js";

/** `sam-repro reproduce <package>`: runs one experiment package's figures at a profile. */
export function registerReproduceCommand(program: Command): void {
  program
    .command("reproduce")
    .description("regenerate one package's figures and claims under reports/")
    .argument("<package>", `experiment package: ${Object.keys(reproduceModules).join(", ") || "(none yet)"}`)
    .option("--profile <name>", "smoke | cpu | paper (env SAM_REPRO_PROFILE; default cpu)")
    .option("--only <ids>", "comma-separated figure ids to run (default: all of the package)")
    .action(async (packageName: string, options: { profile?: string; only?: string }) => {
      const load = reproduceModules[packageName];
      if (!load) {
        throw new InputError(
          `reproduce: unknown package "${packageName}"; allowed values: ${Object.keys(reproduceModules).join(", ")}`,
        );
      }
      const profile = parseProfile(options.profile);
      const only = options.only?.split(",").map((id) => id.trim()).filter(Boolean);
      process.stderr.write(`${describeBackend(await initBackend())}\n`);
      const started = performance.now();
      await (await load()).reproduce({ profile, ...(only ? { only } : {}) });
      recordReproduceTiming(packageName, (performance.now() - started) / 1000, profile, only);
    });
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
