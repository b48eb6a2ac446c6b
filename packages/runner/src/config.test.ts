import { describe, expect, test } from "@jest/globals";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { InputError, loadExperiment, listExperiments, parseProfile, validate, writeJsonAtomic, Checkpoint } from "./index.js";

const settingsSchema = z.strictObject({ iterations: z.number().int().positive(), rho: z.number().min(0) });

function experimentJson(overrides: Record<string, unknown> = {}) {
  return {
    id: "toy-figure",
    title: "A toy figure",
    paperFigure: "Fig. 0",
    package: "toy",
    description: "for tests",
    reference: { erm: 1.2e-3 },
    claims: [{ id: "toy-claim", statement: "it holds", paperValue: 7, rule: { id: "threshold", quantity: "toy", comparison: ">=", value: 7 } }],
    profiles: { smoke: { iterations: 10, rho: 0.1 }, cpu: { iterations: 100, rho: 0.1 }, paper: { iterations: 1e4, rho: 0.1 } },
    ...overrides,
  };
}

function writeExperiment(content: unknown): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sam-repro-config-"));
  const file = path.join(dir, "toy-figure.json");
  writeFileSync(file, JSON.stringify(content));
  return file;
}

describe("experiment configs", () => {
  test("loads the chosen profile's settings and the common fields", () => {
    const config = loadExperiment(writeExperiment(experimentJson()), "cpu", settingsSchema);
    expect(config.settings).toEqual({ iterations: 100, rho: 0.1 });
    expect(config.claims[0]!.paperValue).toBe(7);
    expect(config.unspecified).toEqual([]);
  });

  test("a bad setting names the file, the field path, the rule and the value", () => {
    const file = writeExperiment(experimentJson({ profiles: { smoke: { iterations: -3, rho: 0.1 }, cpu: {}, paper: {} } }));
    expect(() => loadExperiment(file, "smoke", settingsSchema)).toThrow(InputError);
    try {
      loadExperiment(file, "smoke", settingsSchema);
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain(file);
      expect(message).toContain("profiles.smoke");
      expect(message).toContain("iterations");
      expect(message).toContain("-3");
    }
  });

  test("unknown keys, missing claims and invalid JSON are rejected", () => {
    expect(() => loadExperiment(writeExperiment(experimentJson({ colour: "red" })), "cpu", settingsSchema)).toThrow(/colour/);
    expect(() => loadExperiment(writeExperiment(experimentJson({ claims: [] })), "cpu", settingsSchema)).toThrow(/claims/);
    const file = writeExperiment({});
    writeFileSync(file, "{ not json");
    expect(() => loadExperiment(file, "cpu", settingsSchema)).toThrow(/not valid JSON/);
    expect(() => loadExperiment("/nonexistent/x.json", "cpu", settingsSchema)).toThrow(/not found/);
  });

  test("every config in experiments/ has valid common fields and three profiles", () => {
    const ids = listExperiments();
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      for (const profile of ["smoke", "cpu", "paper"] as const) {
        const config = loadExperiment(id, profile, z.unknown());
        expect(config.id).toBe(id);
        expect(config.settings).toBeDefined();
      }
    }
  });

  test("validate reports the offending value", () => {
    expect(() => validate(z.number().max(1), 3, "--rho")).toThrow(/--rho: .*3/);
  });
});

describe("profiles", () => {
  test("accepts the three profiles and names the allowed ones otherwise", () => {
    expect(parseProfile("smoke")).toBe("smoke");
    expect(() => parseProfile("huge")).toThrow('--profile: unknown profile "huge"; allowed values: smoke, quick, cpu, paper');
  });
});

describe("atomic files and checkpoints", () => {
  test("writeJsonAtomic leaves no temporary file and records non-finite numbers as strings", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sam-repro-atomic-"));
    const file = path.join(dir, "nested", "result.json");
    writeJsonAtomic(file, { loss: Number.NaN, values: new Float64Array([1, Infinity]) });
    expect(readdirSync(path.dirname(file))).toEqual(["result.json"]);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ loss: "NaN", values: [1, "Infinity"] });
  });

  test("a checkpoint resumes only for the settings it was written for", () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "sam-repro-ckpt-")), "ckpt.json");
    new Checkpoint<{ step: number }>(file, "settings-a").save({ step: 5 });
    expect(new Checkpoint<{ step: number }>(file, "settings-a").load()).toEqual({ step: 5 });
    expect(new Checkpoint<{ step: number }>(file, "settings-b").load()).toBeNull();
  });
});
