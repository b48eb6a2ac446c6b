// Which entry point the `sam-repro` bin runs: the compiled dist/main.js when it exists and is newer than
// every workspace package's sources (start-up well under a second), else src/main.ts through tsx.
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

/**
 * Whether the compiled JavaScript of every package under `packagesDir` is up to date: each package
 * with a `src/` and a `tsconfig.json` must have `dist/.tsbuildinfo` (written by `tsc -b` on every
 * build that changed something) newer than its newest source file and its tsconfig.json, and each
 * emitted file newer than its source. Tests (`*.test.ts`) are not compiled and do not count; nor does
 * package.json, which tsc does not compile.
 */
export function builtIsCurrent(packagesDir) {
  for (const name of readdirSync(packagesDir)) {
    const root = path.join(packagesDir, name);
    const sources = path.join(root, "src");
    if (!existsSync(sources) || !existsSync(path.join(root, "tsconfig.json"))) continue;
    const buildInfo = path.join(root, "dist", ".tsbuildinfo");
    if (!existsSync(buildInfo)) return false;
    const built = statSync(buildInfo).mtimeMs;
    if (statSync(path.join(root, "tsconfig.json")).mtimeMs > built) return false;
    if (!sourcesBuilt(sources, path.join(root, "dist"), built)) return false;
  }
  return true;
}

/**
 * One walk over a package's sources: no file (tests aside) newer than the build info `built`, and every
 * `dist/<name>.js` that exists at least as new as its `src/<name>.ts`. The second check is needed because
 * `tsc --noEmit` on a composite project rewrites .tsbuildinfo without emitting JavaScript, so the build
 * info alone can claim a build that never happened.
 */
function sourcesBuilt(sources, outputs, built) {
  for (const entry of readdirSync(sources, { withFileTypes: true })) {
    const source = path.join(sources, entry.name);
    if (entry.isDirectory()) {
      if (!sourcesBuilt(source, path.join(outputs, entry.name), built)) return false;
      continue;
    }
    if (entry.name.endsWith(".test.ts")) continue;
    const modified = statSync(source).mtimeMs;
    if (modified > built) return false;
    if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      const output = path.join(outputs, entry.name.replace(/\.ts$/, ".js"));
      if (existsSync(output) && statSync(output).mtimeMs < modified) return false;
    }
  }
  return true;
}

/**
 * The entry to run for the cli package at `cliRoot`: "dist" (dist/main.js) or "source" (src/main.ts).
 * An installed copy has no src/ and always runs dist; SAM_REPRO_ENTRY=source|dist forces one.
 */
export function chooseEntry(cliRoot, environment = process.env) {
  const distMain = path.join(cliRoot, "dist", "main.js");
  const sourceMain = path.join(cliRoot, "src", "main.ts");
  const forced = environment.SAM_REPRO_ENTRY;
  if (forced === "dist" || forced === "source") return forced;
  if (!existsSync(sourceMain)) return "dist";
  return existsSync(distMain) && builtIsCurrent(path.dirname(cliRoot)) ? "dist" : "source";
}
