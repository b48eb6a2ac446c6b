#!/usr/bin/env node
// Entry point of `npx sam-repro`. The CLI runs in this process (no child), so SIGINT / SIGTERM / SIGHUP
// reach the running work directly (main.ts installs the handlers). It runs the compiled dist/main.js when
// that is up to date with every package's sources; otherwise the TypeScript sources through tsx's
// in-process loader, with the "@sam-repro/source" export condition so workspace packages resolve to src/.
import { register } from "node:module";
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
  await import(pathToFileURL(path.join(cliRoot, "src", "main.ts")).href);
}
