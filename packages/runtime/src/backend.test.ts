import { execFileSync } from "node:child_process";
import { describe, expect, test } from "@jest/globals";
import { brokenPackageWarning, describeBackend, probeNativePackage, type BackendInfo } from "./backend.js";

const installed = () => "/somewhere/node_modules/@tensorflow/tfjs-node/package.json";
const notInstalled = (id: string): string => {
  throw Object.assign(new Error(`Cannot find module '${id}'`), { code: "MODULE_NOT_FOUND" });
};

describe("tfjs-node detection", () => {
  test("a package that is not installed is absent, without a warning", () => {
    const probe = probeNativePackage("@tensorflow/tfjs-node", () => undefined, notInstalled);
    expect(probe.status).toBe("absent");
  });

  test("a package that is installed but whose binding throws is broken, and the warning says how to repair it", () => {
    const missingBinding = () => {
      throw new Error("The Node.js native addon module (tfjs_binding.node) can not be found at path: /x/napi-v8/tfjs_binding.node.\nmore");
    };
    const probe = probeNativePackage("@tensorflow/tfjs-node", missingBinding, installed);
    expect(probe).toEqual({ status: "broken", reason: expect.stringContaining("tfjs_binding.node") });
    expect(probe.reason).not.toContain("\n");
    const warning = brokenPackageWarning("@tensorflow/tfjs-node", probe.reason);
    expect(warning).toMatch(/^WARNING: @tensorflow\/tfjs-node is installed but its native binding does not load/);
    expect(warning).toContain("npm rebuild @tensorflow/tfjs-node");
  });

  test("a missing CUDA library is reported as such, not as a skipped install script", () => {
    const reason = "libcudart.so.11.0: cannot open shared object file: No such file or directory";
    const warning = brokenPackageWarning("@tensorflow/tfjs-node-gpu", reason);
    expect(warning).toContain("install CUDA 11.2 and cuDNN 8.1");
    expect(warning).not.toContain("npm rebuild");
  });

  test("a package that loads but registers no backend is broken too", () => {
    const probe = probeNativePackage("@tensorflow/tfjs-node-gpu", () => ({}), installed);
    expect(probe.status).toBe("broken");
  });

  test("every runner's backend line carries the warnings", () => {
    const info: BackendInfo = {
      backend: "wasm",
      requested: "auto",
      nativePackage: null,
      tfjsVersion: "4.22.0",
      threads: 1,
      tfjsNodeGpuFound: false,
      tfjsNodeFound: false,
      notes: [],
      warnings: [brokenPackageWarning("@tensorflow/tfjs-node-gpu", "no binding")],
    };
    const lines = describeBackend(info).split("\n");
    expect(lines[0]).toBe("backend: wasm (tfjs 4.22.0, 1 thread, requested auto)");
    expect(lines[1]).toContain("WARNING: @tensorflow/tfjs-node-gpu is installed");
    expect(describeBackend({ ...info, warnings: [] })).toBe(lines[0]);
  });
});

test("importing the runtime does not change the tfjs backend (only initBackend does)", () => {
  const script = [
    'const tf = await import("@tensorflow/tfjs");',
    'await import("@sam-repro/runtime");',
    "await tf.ready();",
    "process.stdout.write(tf.getBackend());",
  ].join("\n");
  const backend = execFileSync(process.execPath, ["--conditions=@sam-repro/source", "--import", "tsx", "--input-type=module", "-e", script], {
    cwd: import.meta.dirname,
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  expect(backend.trim().split("\n").at(-1)).toBe("cpu");
}, 60_000);
