#!/usr/bin/env node
// Entry point of `npx sam-repro`. The CLI runs in this process (no child), so SIGINT / SIGTERM / SIGHUP
// reach the running work directly (main.ts installs the handlers). It runs the compiled dist/main.js when
// that is up to date with every package's sources; otherwise the TypeScript sources through tsx's
// in-process loader, with the "@sam-repro/source" export condition so workspace packages resolve to src/.
import { createRequire, register } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";
import { chooseEntry } from "./entry.js";

const cliRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");

if (chooseEntry(cliRoot) === "dist") {
  await import(pathToFileURL(path.join(cliRoot, "dist", "main.js")).href);
} else {
  const { register: registerTsx } = await import("tsx/esm/api");
  registerTsx();
  // Registered after tsx, so it runs first and hands tsx the extra condition.
  const addSourceCondition =
    'export async function resolve(specifier, context, next) { return next(specifier, { ...context, conditions: [...context.conditions, "@sam-repro/source"] }); }';
  register(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`);
  // Child processes started with this process's execArgv (the deep-net worker pool, sweep workers) load
  // the sources the same way, as they did when the bin started main.ts in a child with these flags.
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  process.execArgv.push("--conditions=@sam-repro/source", "--import", tsxLoader, "--no-warnings=ExperimentalWarning");
  await import(pathToFileURL(path.join(cliRoot, "src", "main.ts")).href);
}
