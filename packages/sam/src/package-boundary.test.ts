// @sam-repro/sam is published on its own: the files it ships may import only @tensorflow/tfjs-core (its peer
// dependency) and each other. An import of another workspace package, of the tfjs union package or of a Node
// built-in would make the packed library fail to install, to bundle for the browser, or to keep the user's backend.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "@jest/globals";

const sourceDir = import.meta.dirname;

/** The source files that end up in the package (see "files" and tsconfig.json's "exclude"). */
function shippedSources(dir = sourceDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return shippedSources(full);
    const shipped = entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") && !entry.name.startsWith("test-");
    return shipped ? [full] : [];
  });
}

function importedSpecifiers(source: string): string[] {
  const pattern = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g;
  return [...source.matchAll(pattern)].map((match) => match[1] ?? match[2]!);
}

test("the shipped sources import only @tensorflow/tfjs-core and each other", () => {
  const files = shippedSources();
  expect(files.length).toBeGreaterThan(5);
  const offending = files.flatMap((file) =>
    importedSpecifiers(readFileSync(file, "utf8"))
      .filter((specifier) => !specifier.startsWith(".") && specifier !== "@tensorflow/tfjs-core")
      .map((specifier) => `${path.relative(sourceDir, file)} imports "${specifier}"`),
  );
  // For a backend capability, ask tfjs-core (e.g. tf.getKernel(kernelName, tf.getBackend()) !== undefined)
  // instead of importing @sam-repro/runtime, which depends on this package.
  expect(offending).toEqual([]);
});

test("the import scanner sees static, re-exported and dynamic imports", () => {
  const sample = 'import * as tf from "@tensorflow/tfjs";\nexport { a } from "./a.js";\nconst m = await import("node:fs");';
  expect(importedSpecifiers(sample)).toEqual(["@tensorflow/tfjs", "./a.js", "node:fs"]);
});
