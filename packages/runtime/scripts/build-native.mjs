#!/usr/bin/env node
// Builds the native kernel addon (native/ -> native/build/Release/sam_repro_native.node) for the
// "native" tfjs backend: `npm run build:native -w @sam-repro/runtime`. Needs g++ (C++17) and the
// Node.js headers of the running node (Debian/NodeSource packages ship them in <prefix>/include/node);
// uses node-gyp (npm's bundled copy) when present, else calls g++ directly. Nothing is downloaded.
// Exits non-zero when the addon cannot be built, unless --optional is given (then the runtime falls
// back to the wasm backend and `sam-repro env` says why).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const nativeDir = path.join(packageDir, "native");
const output = path.join(nativeDir, "build", "Release", "sam_repro_native.node");
const optional = process.argv.includes("--optional");

function fail(message) {
  console.error(`build:native: ${message}`);
  process.exit(optional ? 0 : 1);
}

function nodeHeadersPrefix() {
  const prefix = path.resolve(path.dirname(process.execPath), "..");
  return existsSync(path.join(prefix, "include", "node", "node_api.h")) ? prefix : null;
}

function findNodeGyp() {
  const candidates = [];
  // Run through npm, npm_execpath is .../node_modules/npm/bin/npm-cli.js; node-gyp ships beside it.
  if (process.env.npm_execpath) candidates.push(path.resolve(path.dirname(process.env.npm_execpath), "..", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  try {
    const globalRoot = execFileSync("npm", ["root", "-g"], { encoding: "utf8" }).trim();
    candidates.push(path.join(globalRoot, "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  } catch {
    // no npm on PATH
  }
  return candidates.find((candidate) => existsSync(candidate)) ?? null;
}

function verify() {
  const probe = spawnSync(process.execPath, ["-e", `const a = require(${JSON.stringify(output)}); console.log(a.vectorLanes + " float32 lanes")`], {
    encoding: "utf8",
  });
  if (probe.status !== 0) fail(`built ${output} but it does not load: ${probe.stderr.trim().split("\n")[0]}`);
  console.log(`build:native: built ${path.relative(process.cwd(), output)} (${probe.stdout.trim()})`);
}

const prefix = nodeHeadersPrefix();
if (!prefix) fail(`no Node.js headers next to ${process.execPath} (expected <prefix>/include/node/node_api.h)`);
const nodeGyp = findNodeGyp();
if (nodeGyp) {
  const result = spawnSync(process.execPath, [nodeGyp, "rebuild", `--nodedir=${prefix}`], { cwd: nativeDir, stdio: "inherit" });
  if (result.status === 0) {
    verify();
    process.exit(0);
  }
  console.error("build:native: node-gyp failed; trying g++ directly");
}
const sources = readdirSync(path.join(nativeDir, "src"))
  .filter((file) => file.endsWith(".cc"))
  .map((file) => path.join(nativeDir, "src", file));
mkdirSync(path.dirname(output), { recursive: true });
const compiler = process.env.CXX ?? "g++";
const result = spawnSync(
  compiler,
  [
    "-std=c++17", "-O3", "-march=native", "-fno-math-errno", "-fPIC", "-shared", "-pthread",
    "-DNAPI_VERSION=8", "-DNODE_GYP_MODULE_NAME=sam_repro_native", `-I${path.join(prefix, "include", "node")}`,
    ...sources, "-o", output,
  ],
  { stdio: "inherit" },
);
if (result.error) fail(`${compiler} not found (${result.error.message}); install g++ (apt-get install -y g++)`);
if (result.status !== 0) fail(`${compiler} failed with exit code ${result.status}`);
verify();
