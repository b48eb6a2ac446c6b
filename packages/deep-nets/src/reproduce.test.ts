import { describe, expect, test } from "@jest/globals";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { FIGURE_FILES, type ClaimResult } from "@sam-repro/figures";
import { FIGURES, reproduce } from "./reproduce.js";
import { findDatasetDirectory, resolveDataDirectory } from "./data/cifar-files.js";
import { useTemporaryReportsAndRuns } from "./experiments/test-environment.js";

/** Why the real CIFAR-10 is unavailable (the figures train on it), or null when it is there. */
function missingData(): string | null {
  try {
    const directory = resolveDataDirectory("cifar10");
    return findDatasetDirectory("cifar10", directory) ? null : `no CIFAR-10 under ${directory}`;
  } catch (error) {
    return (error as Error).message;
  }
}
const dataProblem = missingData();
if (dataProblem) console.warn(`deep-nets reproduce.test.ts: the smoke reproduction is skipped: ${dataProblem}`);

const temporaryDirectory = useTemporaryReportsAndRuns("deep-nets-reproduce-");

describe("reproduce deep-nets --profile smoke", () => {
  (dataProblem ? test.skip : test)("every figure writes its files and a verdict for each claim of its config (needs CIFAR-10)", async () => {
    const temporary = temporaryDirectory();
    await reproduce({ profile: "smoke" });
    for (const figure of FIGURES) {
      const directory = path.join(temporary, "reports", figure.id);
      for (const file of FIGURE_FILES) expect(existsSync(path.join(directory, file))).toBe(true);
      const claims = JSON.parse(readFileSync(path.join(directory, "claims.json"), "utf8")) as ClaimResult[];
      const config = JSON.parse(readFileSync(path.join(import.meta.dirname, "../../../experiments", `${figure.id}.json`), "utf8")) as { claims: Array<{ id: string }> };
      expect(claims.map((c) => c.id).sort()).toEqual(config.claims.map((c) => c.id).sort());
      for (const claim of claims) expect(claim.profile).toBe("smoke");
    }
  });

  test("an unknown figure id is an input error that lists the known ones", async () => {
    await expect(reproduce({ profile: "smoke", only: ["fig99"] })).rejects.toThrow(/unknown figure id\(s\) fig99; allowed: fig1-perturbations/);
  });
});
