#!/usr/bin/env node
// Entry point of `npx sam-repro`. In the repository the CLI runs from its TypeScript sources (through
// tsx, with the "@sam-repro/source" export condition so workspace packages resolve to src/); an
// installed copy runs the compiled dist/.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceMain = path.join(here, "..", "src", "main.ts");

if (existsSync(sourceMain)) {
  const require = createRequire(import.meta.url);
  const tsxLoader = pathToFileURL(require.resolve("tsx")).href;
  const result = spawnSync(
    process.execPath,
    ["--conditions=@sam-repro/source", "--import", tsxLoader, "--no-warnings=ExperimentalWarning", sourceMain, ...process.argv.slice(2)],
    { stdio: "inherit" },
  );
  if (result.signal) process.kill(process.pid, result.signal);
  process.exit(result.status ?? 1);
} else {
  await import(pathToFileURL(path.join(here, "..", "dist", "main.js")).href);
}
