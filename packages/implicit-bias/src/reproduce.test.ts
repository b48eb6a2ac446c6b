import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "@jest/globals";
import { REPORTS_DIR_ENV_VAR, listExperiments, loadExperiment } from "@sam-repro/runner";
import { z } from "zod";
import { reproduce } from "./index.js";
import { FIGURES } from "./reproduce.js";

describe("reproduce (smoke profile, temporary reports directory)", () => {
  test("every figure of the package is configured, and --only rejects unknown ids", async () => {
    const configured = listExperiments("implicit-bias");
    expect([...FIGURES.map((figure) => figure.id)].sort()).toEqual(configured);
    for (const id of configured) {
      for (const profile of ["smoke", "cpu", "paper"] as const) {
        const config = loadExperiment(id, profile, z.unknown());
        expect(config.claims.length).toBeGreaterThan(0);
        expect((config.settings as { seeds: number[] }).seeds.length).toBeGreaterThanOrEqual(5);
      }
    }
    await expect(reproduce({ profile: "smoke", only: ["no-such-figure"] })).rejects.toThrow(/--only: unknown figure id\(s\) no-such-figure/);
  });

  test(
    "writes data, spec, SVG, PNG and checked claims for every figure",
    async () => {
      const directory = mkdtempSync(path.join(os.tmpdir(), "implicit-bias-reports-"));
      const previous = process.env[REPORTS_DIR_ENV_VAR];
      process.env[REPORTS_DIR_ENV_VAR] = directory;
      process.env.SAM_REPRO_QUIET = "1";
      try {
        await reproduce({ profile: "smoke" });
      } finally {
        if (previous === undefined) delete process.env[REPORTS_DIR_ENV_VAR];
        else process.env[REPORTS_DIR_ENV_VAR] = previous;
      }
      for (const { id } of FIGURES) {
        const figureDirectory = path.join(directory, id);
        for (const file of ["data.json", "spec.vl.json", "figure.svg", "figure.png", "claims.json", "meta.json"]) {
          expect(existsSync(path.join(figureDirectory, file))).toBe(true);
        }
        const claims = JSON.parse(readFileSync(path.join(figureDirectory, "claims.json"), "utf8")) as Array<Record<string, unknown>>;
        const specs = loadExperiment(id, "smoke", z.unknown()).claims;
        expect(claims.map((claim) => claim.id).sort()).toEqual(specs.map((claim) => claim.id).sort());
        for (const claim of claims) {
          // Every claim is judged (a smoke run has too few draws for some rules: "inconclusive"), by its declared rule.
          expect(["holds", "does not hold", "inconclusive"]).toContain(claim.verdict);
          expect(claim.rule).toEqual(specs.find((spec) => spec.id === claim.id)!.rule);
          expect(claim.profile).toBe("smoke");
          expect(typeof claim.details).toBe("string");
        }
        const meta = JSON.parse(readFileSync(path.join(figureDirectory, "meta.json"), "utf8")) as { profile: string; wallSeconds: number };
        expect(meta.profile).toBe("smoke");
        expect(meta.wallSeconds).toBeGreaterThan(0);
      }
      // Diverged runs are data, not crashes: the rho grid records 1-SAM at rho = 0.9.
      const grid = JSON.parse(readFileSync(path.join(directory, "diag-net-rho-grid", "data.json"), "utf8")) as {
        series: Array<{ key: string; points: Array<{ rho: number; diverged: boolean[] }> }>;
      };
      const oneSam = grid.series.find((series) => series.key === "d4-1sam")!;
      expect(oneSam.points.find((point) => point.rho === 0.9)!.diverged).toHaveLength(5);
    },
    120_000,
  );
});
