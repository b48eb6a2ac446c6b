import { describe, expect, test } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const bin = path.join(import.meta.dirname, "..", "bin", "sam-repro.js");

function samRepro(...args: string[]) {
  const reportsDir = mkdtempSync(path.join(os.tmpdir(), "sam-repro-cli-"));
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    env: { ...process.env, SAM_REPRO_REPORTS_DIR: reportsDir, NODE_OPTIONS: "" },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("sam-repro command line", () => {
  test("--help lists the subcommands of every package", () => {
    const { status, stdout } = samRepro("--help");
    expect(status).toBe(0);
    for (const command of ["env", "reproduce", "report", "diag-net", "convergence", "train", "sharpness", "data"]) {
      expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    }
  });

  test("env --json names the active backend and whether tfjs-node was found", () => {
    const { status, stdout } = samRepro("env", "--json");
    expect(status).toBe(0);
    const report = JSON.parse(stdout) as Record<string, unknown>;
    expect(["tensorflow", "native", "wasm", "cpu"]).toContain(report.backend);
    expect(typeof report.tfjsVersion).toBe("string");
    expect(report.threads).toBeGreaterThanOrEqual(1);
    expect(typeof report.tfjsNodeFound).toBe("boolean");
    expect(typeof report.tfjsNodeGpuFound).toBe("boolean");
  });

  test("a forced backend is the one reported", () => {
    const { status, stdout } = samRepro("--backend", "cpu", "env", "--json");
    expect(status).toBe(0);
    expect(JSON.parse(stdout).backend).toBe("cpu");
  });

  test("bad input exits non-zero with a message that names the value and the allowed ones", () => {
    const unknownPackage = samRepro("reproduce", "no-such-package");
    expect(unknownPackage.status).toBe(2);
    expect(unknownPackage.stderr).toContain('unknown package "no-such-package"');
    expect(unknownPackage.stderr).toContain("implicit-bias");

    const badProfile = samRepro("reproduce", "convergence", "--profile", "huge");
    expect(badProfile.status).toBe(2);
    expect(badProfile.stderr).toContain('unknown profile "huge"');
    expect(badProfile.stderr).toContain("smoke, cpu, paper");

    const badBackend = samRepro("--backend", "gpu-please", "env");
    expect(badBackend.status).not.toBe(0);
    expect(badBackend.stderr).toContain("gpu-please");
  });
});
