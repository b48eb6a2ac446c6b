/**
 * The committed deep-net claims follow from the committed data by the declared rules: re-judging each
 * reports/<id>/data.json (as tools/rejudge-claims.ts does, without training) gives the committed verdicts.
 */
import { describe, expect, test } from "@jest/globals";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { loadExperiment, workspaceRoot, type Profile } from "@sam-repro/runner";
import { rejudgeDeepNetClaims } from "./rejudge.js";

const IDS = ["fig1-perturbations", "msam-vs-m", "fig9-finetuning", "fig10-interpolation"];
const read = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;

describe("committed deep-net claims re-judged from their data.json", () => {
  test.each(IDS)("%s: same verdicts and rules as the committed claims.json", (id) => {
    const directory = path.join(workspaceRoot(), "reports", id);
    if (!existsSync(path.join(directory, "data.json"))) return; // nothing committed for this figure yet
    const meta = read(path.join(directory, "meta.json"));
    const committed = read(path.join(directory, "claims.json")) as unknown as Array<{ id: string; verdict: string; rule: unknown }>;
    const experiment = loadExperiment(id, meta.profile as Profile, z.unknown());
    const claims = rejudgeDeepNetClaims(id, { data: read(path.join(directory, "data.json")), setup: meta.setup as Record<string, unknown> }, experiment)!;
    expect(claims.map(({ id: claimId, verdict, rule }) => ({ claimId, verdict, rule }))).toEqual(committed.map(({ id: claimId, verdict, rule }) => ({ claimId, verdict, rule })));
  });

  test("an id of another package is not this package's to re-judge", () => {
    const experiment = loadExperiment("sam-two-cycle", "cpu", z.unknown());
    expect(rejudgeDeepNetClaims("sam-two-cycle", { data: {}, setup: {} }, experiment)).toBeUndefined();
  });
});
