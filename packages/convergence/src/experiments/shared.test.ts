import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkpointedCache } from "./shared.js";

let reports: string;
const saved = process.env.SAM_REPRO_REPORTS_DIR;
beforeAll(() => {
  reports = mkdtempSync(path.join(os.tmpdir(), "convergence-checkpoint-"));
  process.env.SAM_REPRO_REPORTS_DIR = reports;
});
afterAll(() => {
  rmSync(reports, { recursive: true, force: true });
  if (saved === undefined) delete process.env.SAM_REPRO_REPORTS_DIR;
  else process.env.SAM_REPRO_REPORTS_DIR = saved;
});

describe("checkpointed run cache", () => {
  test("a second process resumes with the stored results (NaN included) and recomputes nothing; other settings start over", () => {
    const first = checkpointedCache("some-figure", "smoke", { steps: 10 });
    const computed = first.cache("run:a", () => ({ value: 0.25, diverged: Number.NaN }));
    expect(existsSync(path.join(reports, "some-figure", "checkpoint.json"))).toBe(true);

    const resumed = checkpointedCache("some-figure", "smoke", { steps: 10 });
    const again = resumed.cache("run:a", () => {
      throw new Error("recomputed");
    });
    expect(again).toEqual(computed);
    expect(again.diverged).toBeNaN();

    const otherSettings = checkpointedCache("some-figure", "smoke", { steps: 11 });
    expect(otherSettings.cache("run:a", () => ({ value: 1, diverged: 0 })).value).toBe(1);
    otherSettings.done();
    expect(existsSync(path.join(reports, "some-figure", "checkpoint.json"))).toBe(false);
  });
});
