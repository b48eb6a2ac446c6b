/**
 * Trains a list of the deep-net figures' shared runs ahead of the figures that use them (the runs are
 * keyed by config, so a figure finds them complete and trains only what is left). Used to schedule
 * long cpu-profile runs in priority order across several figures:
 *   node --conditions=@sam-repro/source --import tsx tools/train-shared-runs.ts <runs.json> [profile]
 * where runs.json is { "base": {...train settings...}, "seeds": [0, 1, 2], "runs": [{...overrides}] }.
 */
import { readFileSync } from "node:fs";
import { initBackend } from "@sam-repro/runtime";
import { parseProfile } from "@sam-repro/runner";
import { runJobs } from "../packages/deep-nets/src/experiments/jobs.js";
import { sharedJob } from "../packages/deep-nets/src/experiments/shared-runs.js";

const [file, profileArgument] = process.argv.slice(2);
if (!file) {
  console.error("usage: train-shared-runs.ts <runs.json> [profile]");
  process.exit(2);
}
const plan = JSON.parse(readFileSync(file, "utf8")) as { base: Record<string, unknown>; seeds: number[]; runs: Array<Record<string, unknown>> };
const profile = parseProfile(profileArgument ?? "cpu", "profile");
await initBackend();
const jobs = plan.runs.flatMap((overrides) => plan.seeds.map((seed) => sharedJob(plan.base, { ...overrides, seed })));
console.log(`${jobs.length} runs: ${jobs.map((job) => job.name).join(", ")}`);
await runJobs(jobs, profile, `shared runs (${file})`);
console.log("done");
