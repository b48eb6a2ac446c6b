import { describe, expect, test } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { InputError, judgeThreshold, judgedClaim, loadExperiment, notRunClaim, type ThresholdRule } from "./index.js";

const rule: ThresholdRule = { id: "threshold", quantity: "error", comparison: "<=", value: 1 };

function configFile(derivation: unknown): string {
  const claim = { id: "derived-claim", statement: "a bound of ours", paperValue: null, rule, ...(derivation === undefined ? {} : { derivation }) };
  const content = {
    id: "toy-derivation",
    title: "toy",
    paperFigure: "none",
    package: "toy",
    description: "for tests",
    reference: {},
    claims: [claim, { id: "paper-claim", statement: "the paper's", paperValue: 1, rule }],
    profiles: { smoke: {}, cpu: {}, paper: {} },
  };
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "sam-repro-derivation-")), "toy-derivation.json");
  writeFileSync(file, JSON.stringify(content));
  return file;
}

describe("claims[].derivation: our derivations are labelled in claims.json", () => {
  test("judged and not-run claims carry the config's derivation; the paper's claims carry none", () => {
    const config = loadExperiment(configFile("ours"), "smoke", z.strictObject({}));
    const judged = judgedClaim(config, "derived-claim", { ourValue: 0.5, judgement: judgeThreshold(rule, 0.5) });
    expect(judged.derivation).toBe("ours");
    expect(judged.verdict).toBe("holds");
    expect(notRunClaim(config, "derived-claim", "no data").derivation).toBe("ours");
    const paper = judgedClaim(config, "paper-claim", { ourValue: 2, judgement: judgeThreshold(rule, 2) });
    expect(paper.verdict).toBe("does not hold");
    expect("derivation" in paper).toBe(false);
  });

  test("an unknown derivation value is an InputError naming the field and the value", () => {
    expect(() => loadExperiment(configFile("mine"), "smoke", z.strictObject({}))).toThrow(InputError);
    expect(() => loadExperiment(configFile("mine"), "smoke", z.strictObject({}))).toThrow(/claims\.0\.derivation.*"mine"/);
  });
});
