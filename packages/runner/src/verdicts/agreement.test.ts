/**
 * Every experiment config declares a verdict rule for each claim, and every committed reports/<id>/claims.json
 * was judged by exactly the rule its config declares now (a rule changed after a run shows up here until the
 * figure is regenerated or re-judged with tools/rejudge-claims.ts).
 */
import { describe, expect, test } from "@jest/globals";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { VERDICTS, claimRuleSchema, listExperiments, loadExperiment, workspaceRoot } from "../index.js";

const ids = listExperiments();
const committedReports = path.join(workspaceRoot(), "reports");

describe("claims.json agrees with the rules the configs declare", () => {
  test("there are configs to check", () => {
    expect(ids.length).toBeGreaterThan(10);
  });

  test.each(ids)("%s: every claim declares a rule", (id) => {
    const config = loadExperiment(id, "cpu", z.unknown());
    for (const claim of config.claims) {
      expect({ claim: claim.id, valid: claimRuleSchema.safeParse(claim.rule).success }).toEqual({ claim: claim.id, valid: true });
    }
  });

  test.each(ids)("%s: the committed claims.json names the same claims and rules", (id) => {
    const file = path.join(committedReports, id, "claims.json");
    if (!existsSync(file)) return; // a figure not yet run has nothing committed to disagree with
    const config = loadExperiment(id, "cpu", z.unknown());
    const committed = JSON.parse(readFileSync(file, "utf8")) as Array<{ id: string; verdict: string; rule?: unknown }>;
    expect(committed.map((claim) => claim.id).sort()).toEqual(config.claims.map((claim) => claim.id).sort());
    for (const claim of committed) {
      expect(VERDICTS).toContain(claim.verdict);
      expect({ claim: claim.id, rule: claim.rule }).toEqual({ claim: claim.id, rule: config.claims.find((spec) => spec.id === claim.id)!.rule });
    }
  });
});
