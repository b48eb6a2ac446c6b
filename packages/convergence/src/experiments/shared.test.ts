import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { notRunSpec, writeFigure } from "@sam-repro/figures";
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
  test("a second process resumes with the stored results (NaN included) and recomputes nothing; other settings start over; writing the figure discards it", async () => {
    const first = checkpointedCache("some-figure", "smoke", { steps: 10 });
    const computed = first("run:a", () => ({ value: 0.25, diverged: Number.NaN }));
    expect(existsSync(path.join(reports, "some-figure", "checkpoint.json"))).toBe(true);

    const resumed = checkpointedCache("some-figure", "smoke", { steps: 10 });
    const again = resumed<typeof computed>("run:a", () => {
      throw new Error("recomputed");
    });
    expect(again).toEqual(computed);
    expect(again.diverged).toBeNaN();

    const otherSettings = checkpointedCache("some-figure", "smoke", { steps: 11 });
    expect(otherSettings("run:a", () => ({ value: 1, diverged: 0 })).value).toBe(1);

    // Writing the figure (what the driver does after produce returns) replaces reports/<id>/ whole: the checkpoint goes with it.
    const title = "Some figure";
    const spec = notRunSpec(title, "test");
    await writeFigure({ id: "some-figure", title, paperFigure: "none", profile: "smoke", setup: {}, data: {}, spec, claims: [], wallSeconds: 0 });
    expect(existsSync(path.join(reports, "some-figure", "meta.json"))).toBe(true);
    expect(existsSync(path.join(reports, "some-figure", "checkpoint.json"))).toBe(false);
  });
});
