import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "@jest/globals";
import { InputError, REPORTS_DIR_ENV_VAR, listExperiments, profileReportsDir, workspaceRoot } from "@sam-repro/runner";
import { reproduceModules } from "./commands.js";
import { formatClaimsSummary, reproducePlan, summarizeClaims } from "./reproduce-command.js";

const temporary = mkdtempSync(path.join(os.tmpdir(), "sam-repro-reproduce-"));
afterAll(() => rmSync(temporary, { recursive: true, force: true }));

function withoutReportsVariable<T>(body: () => T): T {
  const saved = process.env[REPORTS_DIR_ENV_VAR];
  delete process.env[REPORTS_DIR_ENV_VAR];
  try {
    return body();
  } finally {
    if (saved !== undefined) process.env[REPORTS_DIR_ENV_VAR] = saved;
  }
}

describe("where reproduce writes", () => {
  test("the default profile writes reports/, the others reports/<profile>/; --out, then the variable, win", () => {
    const reports = path.join(workspaceRoot(), "reports");
    withoutReportsVariable(() => {
      expect(profileReportsDir("cpu")).toBe(reports);
      expect(profileReportsDir("smoke")).toBe(path.join(reports, "smoke"));
      expect(profileReportsDir("paper")).toBe(path.join(reports, "paper"));
      expect(profileReportsDir("paper", "elsewhere")).toBe(path.resolve("elsewhere"));
      process.env[REPORTS_DIR_ENV_VAR] = temporary;
      expect(profileReportsDir("paper")).toBe(temporary);
      expect(profileReportsDir("paper", "elsewhere")).toBe(path.resolve("elsewhere"));
    });
  });
});

describe("claims summary", () => {
  test("counts the verdicts of each figure's claims.json and names the figures without one", () => {
    const directory = path.join(temporary, "summary");
    mkdirSync(path.join(directory, "fig-a"), { recursive: true });
    const claims = [
      { id: "one", verdict: "holds", ourValue: 1.5, paperValue: 1.4 },
      { id: "two", verdict: "does not hold", ourValue: 0.1, paperValue: 0.5 },
      { id: "three", verdict: "holds", ourValue: null, paperValue: null },
    ];
    writeFileSync(path.join(directory, "fig-a", "claims.json"), JSON.stringify(claims));
    const summary = summarizeClaims("pkg", "smoke", directory, ["fig-a", "fig-b"], 12.3);
    expect(summary.counts).toEqual({ holds: 2, "does not hold": 1 });
    expect(summary.missing).toEqual(["fig-b"]);
    expect(summary.figures[0]!.claims[1]).toEqual({ id: "two", verdict: "does not hold", ourValue: 0.1, paperValue: 0.5 });
    const text = formatClaimsSummary(summary);
    expect(text).toContain("  fig-a: one: holds; two: does not hold; three: holds\n");
    expect(text).toContain("  fig-b: no claims.json written\n");
    expect(text.trimEnd().split("\n").at(-1)).toBe("total: 2 holds, 1 does not hold");
  });
});

test("reproduce --profile smoke --out DIR --json: figures under DIR, a JSON summary on stdout", () => {
  const out = path.join(temporary, "smoke-out");
  const bin = path.join(import.meta.dirname, "..", "bin", "sam-repro.js");
  const environment: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: "", SAM_REPRO_QUIET: "1" };
  delete environment[REPORTS_DIR_ENV_VAR];
  const result = spawnSync(process.execPath, [bin, "reproduce", "convergence", "--profile", "smoke", "--only", "sam-two-cycle", "--out", out, "--json"], {
    encoding: "utf8",
    env: environment,
    timeout: 240_000,
  });
  expect(result.stderr).not.toMatch(/Error/);
  expect(result.status).toBe(0);
  const summary = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
  expect(summary).toMatchObject({ package: "convergence", profile: "smoke", reportsDirectory: out, missing: [] });
  expect(summary.figures.map((figure: { id: string }) => figure.id)).toEqual(["sam-two-cycle"]);
  const written = JSON.parse(readFileSync(path.join(out, "sam-two-cycle", "claims.json"), "utf8")) as Array<{ verdict: string }>;
  expect(summary.counts).toEqual(written.reduce<Record<string, number>>((counts, c) => ({ ...counts, [c.verdict]: (counts[c.verdict] ?? 0) + 1 }), {}));
  expect(existsSync(path.join(out, "timings.json"))).toBe(true);
}, 300_000);

describe("reproduce <target>: a package or figure ids, and the packages' nx outputs", () => {
  test("figure ids run in the package their config names, grouped per package; bad targets are one-line input errors", () => {
    expect(reproducePlan("convergence")).toEqual([{ packageName: "convergence" }]);
    expect(reproducePlan("deep-nets", ["fig1-perturbations"])).toEqual([{ packageName: "deep-nets", only: ["fig1-perturbations"] }]);
    expect(reproducePlan("fig6-diag-net,fig1-perturbations,relu-1d")).toEqual([
      { packageName: "implicit-bias", only: ["fig6-diag-net", "relu-1d"] },
      { packageName: "deep-nets", only: ["fig1-perturbations"] },
    ]);
    expect(() => reproducePlan("fig6-diag-net,no-such-figure")).toThrow(InputError);
    expect(() => reproducePlan("fig6-diag-net,no-such-figure")).toThrow(/unknown package or figure id "no-such-figure"; allowed values: a package \(.*deep-nets.*\) or figure ids \(.*fig6-diag-net/);
    expect(() => reproducePlan("fig6-diag-net", ["relu-1d"])).toThrow(/--only "relu-1d" needs a package as target/);
  });

  test("each package's nx reproduce outputs are exactly its figures in experiments/ (so nx restores every figure from its cache)", () => {
    for (const packageName of Object.keys(reproduceModules)) {
      const manifest = JSON.parse(readFileSync(path.join(workspaceRoot(), "packages", packageName, "package.json"), "utf8")) as { nx: { targets: { reproduce: { outputs: string[] } } } };
      const expected = ["{workspaceRoot}/reports/timings.json", ...listExperiments(packageName).map((id) => `{workspaceRoot}/reports/${id}`)];
      expect({ packageName, outputs: [...manifest.nx.targets.reproduce.outputs].sort() }).toEqual({ packageName, outputs: expected.sort() });
    }
  });
});
