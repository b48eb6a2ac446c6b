import { describe, expect, test } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

const bin = path.join(import.meta.dirname, "..", "bin", "sam-repro.js");

function samRepro(...args: string[]) {
  return samReproWith({}, ...args);
}

function samReproWith(env: Record<string, string>, ...args: string[]) {
  const reportsDir = mkdtempSync(path.join(os.tmpdir(), "sam-repro-cli-"));
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    env: { ...process.env, SAM_REPRO_REPORTS_DIR: reportsDir, NODE_OPTIONS: "", ...env },
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
    expect(unknownPackage.stderr).toContain('unknown package or figure id "no-such-package"');
    expect(unknownPackage.stderr).toContain("implicit-bias");

    const badProfile = samRepro("reproduce", "convergence", "--profile", "huge");
    expect(badProfile.status).toBe(2);
    expect(badProfile.stderr).toContain('unknown profile "huge"');
    expect(badProfile.stderr).toContain("smoke, quick, cpu, paper");

    const badBackend = samRepro("--backend", "gpu-please", "env");
    expect(badBackend.status).not.toBe(0);
    expect(badBackend.stderr).toContain("gpu-please");
  });

  test("--version prints the cli package's version", () => {
    const { status, stdout } = samRepro("--version");
    expect(status).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(import.meta.dirname, "..", "package.json"), "utf8"));
    expect(stdout.trim()).toBe(manifest.version);
  });

  test("usage errors, commander's included, are one line and exit 2; a misspelt command gets a suggestion", () => {
    const oneLine = (stderr: string) => stderr.trim().split("\n");
    const misspelt = samRepro("trian");
    expect(misspelt.status).toBe(2);
    expect(oneLine(misspelt.stderr)).toEqual(["error: unknown command 'trian' (Did you mean train?)"]);
    const unknownOption = samRepro("train", "--learning-rate", "0.1");
    expect(unknownOption.status).toBe(2);
    expect(oneLine(unknownOption.stderr)).toHaveLength(1);
    expect(unknownOption.stderr).toContain("--learning-rate");
    const sharpness = samRepro("sharpness", "--checkpoint", "/no/such/run", "--m", "1000", "--examples", "300");
    expect(sharpness.status).toBe(2);
    expect(oneLine(sharpness.stderr)).toEqual(["error: --m: 1000 is more than --examples 300; an m-sharpness needs at least m examples (allowed 1..300)"]);
    const noCommand = samRepro("--backend", "cpu");
    expect(noCommand.status).toBe(2);
    expect(oneLine(noCommand.stderr)).toEqual(["error: missing command; run `sam-repro --help` for the list"]);
    const emptyLr = samRepro("train", "--lr", "");
    expect(emptyLr.status).toBe(2);
    expect(oneLine(emptyLr.stderr)).toEqual(['error: --lr: "" is not a number']);
  });

  test("bad output locations and environment are refused at once, creating nothing", () => {
    const runs = mkdtempSync(path.join(os.tmpdir(), "sam-repro-runs-"));
    const proc = samReproWith({ SAM_REPRO_RUNS_DIR: runs }, "train", "--run-dir", "/proc/self/x", "--epochs", "1");
    expect(proc.status).toBe(2);
    expect(proc.stderr.trim().split("\n").at(-1)).toMatch(/^error: --run-dir \/proc\/self\/x: .*(not writable|virtual filesystem)/);
    const underFile = path.join(runs, "file");
    writeFileSync(underFile, "x");
    const notDir = samReproWith({ SAM_REPRO_RUNS_DIR: runs }, "train", "--run-dir", path.join(underFile, "run"), "--epochs", "1");
    expect(notDir.status).toBe(2);
    expect(notDir.stderr).toContain("is a file, not a directory");
    expect(readdirSync(runs)).toEqual(["file"]);
    const emptyReports = samReproWith({ SAM_REPRO_REPORTS_DIR: "" }, "report");
    expect(emptyReports.status).toBe(2);
    expect(emptyReports.stderr.trim()).toBe('error: SAM_REPRO_REPORTS_DIR: "" is empty; set it to a directory or unset it for the default');
  });

  test("--backend tensorflow without @tensorflow/tfjs-node installed is a one-line error, exit 2", () => {
    try {
      createRequire(import.meta.url).resolve("@tensorflow/tfjs-node");
      return; // installed here: nothing to check
    } catch {
      // not installed: the case under test
    }
    const { status, stderr } = samRepro("--backend", "tensorflow", "env");
    expect(status).toBe(2);
    expect(stderr.trim()).toMatch(/^error: --backend tensorflow: @tensorflow\/tfjs-node is not installed; install it .* or choose one of auto, native, wasm, cpu$/);
  });
});

describe("which entry the bin runs", () => {
  test("dist when every package's build is newer than its sources, else the sources; without src, dist", async () => {
    const { builtIsCurrent, chooseEntry } = (await import(path.join(import.meta.dirname, "..", "bin", "entry.js"))) as {
      builtIsCurrent: (dir: string) => boolean;
      chooseEntry: (root: string, env?: Record<string, string>) => string;
    };
    const packages = mkdtempSync(path.join(os.tmpdir(), "sam-repro-entry-"));
    const touch = (file: string, seconds: number) => {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, "x");
      utimesSync(file, seconds, seconds);
    };
    for (const name of ["cli", "runner"]) {
      touch(path.join(packages, name, "package.json"), 1000);
      touch(path.join(packages, name, "tsconfig.json"), 1000);
      touch(path.join(packages, name, "src", "main.ts"), 2000);
      touch(path.join(packages, name, "src", "deep", "a.ts"), 2000);
      touch(path.join(packages, name, "dist", "main.js"), 3000);
      touch(path.join(packages, name, "dist", ".tsbuildinfo"), 3000);
    }
    const cli = path.join(packages, "cli");
    expect(builtIsCurrent(packages)).toBe(true);
    expect(chooseEntry(cli, {})).toBe("dist");
    touch(path.join(packages, "runner", "src", "deep", "a.test.ts"), 4000); // tests are not compiled
    expect(chooseEntry(cli, {})).toBe("dist");
    touch(path.join(packages, "runner", "dist", "deep", "a.js"), 1500); // build info rewritten by `tsc --noEmit`, output older than its source
    expect(chooseEntry(cli, {})).toBe("source");
    touch(path.join(packages, "runner", "dist", "deep", "a.js"), 3000);
    expect(chooseEntry(cli, {})).toBe("dist");
    touch(path.join(packages, "runner", "src", "deep", "a.ts"), 4000); // an edit in another package after the build
    expect(chooseEntry(cli, {})).toBe("source");
    expect(chooseEntry(cli, { SAM_REPRO_ENTRY: "dist" })).toBe("dist");
    touch(path.join(packages, "runner", "dist", ".tsbuildinfo"), 5000); // a rebuild: build info and the changed output
    expect(chooseEntry(cli, {})).toBe("source");
    touch(path.join(packages, "runner", "dist", "deep", "a.js"), 5000);
    expect(chooseEntry(cli, {})).toBe("dist");
  });
});
