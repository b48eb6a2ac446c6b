import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { notRunSpec, writeFigure } from "@sam-repro/figures";
import { RESULT_FILE } from "@sam-repro/runner";
import { figureRunCache } from "./shared.js";

let scratch: string;
const saved = { reports: process.env.SAM_REPRO_REPORTS_DIR, runs: process.env.SAM_REPRO_RUNS_DIR };
beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), "convergence-run-cache-"));
  process.env.SAM_REPRO_REPORTS_DIR = path.join(scratch, "reports");
  process.env.SAM_REPRO_RUNS_DIR = path.join(scratch, "runs");
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  for (const [key, value] of [
    ["SAM_REPRO_REPORTS_DIR", saved.reports],
    ["SAM_REPRO_RUNS_DIR", saved.runs],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe("the figures' run cache in the run store", () => {
  test("each run lands in runs/convergence/<profile>/<id>-<hash>/ and nothing under reports/; a later process reuses it (NaN included); other settings start over; writing the figure keeps it", async () => {
    const store = path.join(scratch, "runs", "convergence", "smoke");
    const first = figureRunCache("some-figure", "smoke", { steps: 10 });
    const computed = first("run:a", () => ({ value: 0.25, diverged: Number.NaN }));
    first("run:b", () => ({ value: 0.5, diverged: 0 }));
    const runDirectories = readdirSync(store);
    expect(runDirectories).toHaveLength(2);
    for (const directory of runDirectories) {
      expect(directory).toMatch(/^some-figure-[0-9a-f]{12}$/);
      expect(existsSync(path.join(store, directory, RESULT_FILE))).toBe(true);
    }
    expect(existsSync(path.join(scratch, "reports"))).toBe(false);

    // A later reproduce (or one resumed after an interruption) computes nothing it has.
    const resumed = figureRunCache("some-figure", "smoke", { steps: 10 });
    const again = resumed<typeof computed>("run:a", () => {
      throw new Error("recomputed");
    });
    expect(again).toEqual(computed);
    expect(again.diverged).toBeNaN();

    const otherSettings = figureRunCache("some-figure", "smoke", { steps: 11 });
    expect(otherSettings("run:a", () => ({ value: 1, diverged: 0 })).value).toBe(1);
    const otherProfile = figureRunCache("some-figure", "cpu", { steps: 10 });
    expect(otherProfile("run:a", () => ({ value: 2, diverged: 0 })).value).toBe(2);
    expect(readdirSync(path.join(scratch, "runs", "convergence")).sort()).toEqual(["cpu", "smoke"]);

    // The driver writes the figure after produce returns; the runs stay in the store for the next reproduce.
    const title = "Some figure";
    await writeFigure({ id: "some-figure", title, paperFigure: "none", profile: "smoke", setup: {}, data: {}, spec: notRunSpec(title, "test"), claims: [], wallSeconds: 0 });
    expect(readdirSync(path.join(scratch, "reports", "some-figure"))).not.toContain("checkpoint.json");
    expect(readdirSync(store)).toHaveLength(3);
    const afterFigure = figureRunCache("some-figure", "smoke", { steps: 10 });
    expect(afterFigure("run:b", () => ({ value: -1, diverged: 0 })).value).toBe(0.5);
  });
});
