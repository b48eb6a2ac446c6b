#!/usr/bin/env node
// Checks the package as users get it: `npm pack`, then (1) the tarball holds the built JS, its .d.ts and source
// maps, README and LICENSE, and no tests, benches, test helpers or tsbuildinfo; (2) every source map's sources are
// in the tarball; (3) installed into a fresh project beside @tensorflow/tfjs, a small SAM training loop lowers
// the loss and importing the package leaves the tfjs backend alone; (4) a consumer's TypeScript accepts its types.
// Exit 1 with the reason on any failure.
// Usage: node packages/sam/scripts/check-packed.mjs [--keep]   (npm's cache or registry supplies @tensorflow/tfjs)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const packageDir = path.resolve(import.meta.dirname, "..");
const work = mkdtempSync(path.join(os.tmpdir(), "sam-packed-"));
const npm = (args, cwd) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const fail = (message) => {
  console.error(`check-packed: ${message}`);
  process.exit(1);
};

try {
  const [packed] = JSON.parse(npm(["pack", "--json", "--pack-destination", work], packageDir));
  const files = packed.files.map((f) => f.path);
  console.log(`packed ${packed.filename}: ${files.length} files, ${packed.size} bytes`);
  for (const required of ["README.md", "LICENSE", "package.json", "dist/index.js", "dist/index.d.ts", "dist/index.js.map"]) {
    if (!files.includes(required)) fail(`${required} is missing from the tarball`);
  }
  const unwanted = files.filter((f) => /\.test\.|(^|\/)test-|(^|\/)bench(\/|$)|tsbuildinfo|(^|\/)scripts\//.test(f));
  if (unwanted.length) fail(`the tarball ships files users do not need: ${unwanted.join(", ")}`);

  execFileSync("tar", ["-xzf", path.join(work, packed.filename), "-C", work]);
  const root = path.join(work, "package");
  for (const map of files.filter((f) => f.endsWith(".map"))) {
    const { sources } = JSON.parse(readFileSync(path.join(root, map), "utf8"));
    for (const source of sources) {
      const resolved = path.resolve(path.dirname(path.join(root, map)), source);
      if (!existsSync(resolved)) fail(`${map} points at ${source}, which is not in the tarball`);
    }
  }
  console.log("file list and source maps: ok");

  const consumer = path.join(work, "consumer");
  execFileSync("mkdir", ["-p", consumer]);
  writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  const tfjsVersion = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")).devDependencies["@tensorflow/tfjs"];
  npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", path.join(work, packed.filename), `@tensorflow/tfjs@${tfjsVersion}`], consumer);
  const installed = readdirSync(path.join(consumer, "node_modules", "@sam-repro"));
  if (installed.join() !== "sam") fail(`installing the tarball pulled other workspace packages: ${installed.join(", ")}`);
  writeFileSync(
    path.join(consumer, "train.mjs"),
    `import * as tf from "@tensorflow/tfjs";
import { SamOptimizer, layersModelLoss, layersModelVariables } from "@sam-repro/sam";
await tf.ready();
const backend = tf.getBackend();
// Seeded initializers: the check must not depend on the draw of the initial weights.
const init = (seed) => tf.initializers.glorotUniform({ seed });
const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 4, kernelInitializer: init(1) }), tf.layers.batchNormalization(), tf.layers.dense({ units: 1, kernelInitializer: init(2) })] });
const sam = new SamOptimizer(tf.train.sgd(0.05), { variant: "sam", rho: 0.05, subBatchSize: 4 }, layersModelVariables(model));
const lossFn = layersModelLoss(model, (y, p) => tf.losses.meanSquaredError(y, p));
const x = tf.randomNormal([16, 3], 0, 1, "float32", 1);
const y = tf.sum(x, 1, true);
const losses = [];
for (let i = 0; i < 40; i++) losses.push(sam.step(lossFn, { x, y }).loss);
console.log(JSON.stringify({ backend, first: losses[0], last: losses.at(-1) }));
`,
  );
  // The published types: a consumer's TypeScript (strict, NodeNext) resolves them through "exports".
  writeFileSync(
    path.join(consumer, "types.ts"),
    `import * as tf from "@tensorflow/tfjs";
import { SamOptimizer, layersModelLoss, type SamStepResult } from "@sam-repro/sam";
const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });
const sam: SamOptimizer = new SamOptimizer(tf.train.sgd(0.1), { variant: "sam", rho: 0.05 });
const step: SamStepResult = sam.step(layersModelLoss(model, (y, p) => tf.losses.meanSquaredError(y, p) as tf.Scalar), { x: tf.ones([4, 2]), y: tf.ones([4, 1]) });
export const loss: number = step.loss;
`,
  );
  const tsc = path.join(packageDir, "..", "..", "node_modules", "typescript", "bin", "tsc");
  try {
    execFileSync(process.execPath, [tsc, "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--skipLibCheck", "types.ts"], { cwd: consumer, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    fail(`a consumer's TypeScript rejects the published types:\n${error.stdout ?? error.message}`);
  }
  console.log("published types: ok");
  const result = JSON.parse(execFileSync(process.execPath, ["train.mjs"], { cwd: consumer, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split("\n").at(-1));
  if (result.backend !== "cpu") fail(`the consumer's backend is ${result.backend}, expected tfjs's own default (cpu in Node)`);
  if (!(result.last < 0.5 * result.first)) fail(`the installed package did not train: loss ${result.first} -> ${result.last}`);
  console.log(`installed tarball trains: loss ${result.first.toFixed(3)} -> ${result.last.toFixed(3)} on ${result.backend}`);
} finally {
  if (process.argv.includes("--keep")) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
