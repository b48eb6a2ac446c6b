#!/usr/bin/env node
// Prints one line per dataset file, "<dataset dir>/<file> <sha256>", for nx to hash as a runtime input of the
// targets that read CIFAR (nx.json): a changed, added or removed file reruns them; the variable's name alone
// (what nx hashed before) did not notice a corrupted or replaced file. The data directory is found as the
// loaders find it: $SAM_REPRO_DATA_DIR, else <workspace>/data, else <workspace>/../shared/datasets. Checksums
// are cached by path, size and modification time (node_modules/.cache/sam-repro), so only changed files are read.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const DATASET_DIRECTORIES = ["cifar-10", "cifar-10-batches-bin", "cifar-100", "cifar-100-binary"];

function dataDirectory() {
  const fromEnvironment = process.env.SAM_REPRO_DATA_DIR;
  if (fromEnvironment) return fromEnvironment;
  const candidates = [path.join(root, "data"), path.resolve(root, "..", "shared", "datasets")];
  return candidates.find((candidate) => DATASET_DIRECTORIES.some((name) => existsSync(path.join(candidate, name)))) ?? null;
}

const cacheFile = path.join(root, "node_modules", ".cache", "sam-repro", "data-checksums.json");
let cache = {};
try {
  cache = JSON.parse(readFileSync(cacheFile, "utf8"));
} catch {
  cache = {};
}

const directory = dataDirectory();
const lines = [`data directory: ${directory ?? "none"}`];
let changed = false;
if (directory && existsSync(directory)) {
  for (const dataset of DATASET_DIRECTORIES) {
    const datasetDir = path.join(directory, dataset);
    if (!existsSync(datasetDir) || !statSync(datasetDir).isDirectory()) continue;
    for (const name of readdirSync(datasetDir).sort()) {
      const file = path.join(datasetDir, name);
      const stats = statSync(file);
      if (!stats.isFile()) continue;
      const key = `${file}:${stats.size}:${stats.mtimeMs}`;
      let sha = cache[key];
      if (!sha) {
        sha = createHash("sha256").update(readFileSync(file)).digest("hex");
        cache[key] = sha;
        changed = true;
      }
      lines.push(`${dataset}/${name} ${sha}`);
    }
  }
}
if (changed) {
  try {
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    const temporary = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(cache));
    renameSync(temporary, cacheFile);
  } catch {
    // A read-only node_modules only costs the next run the hashing again.
  }
}
process.stdout.write(`${lines.join("\n")}\n`);
