import { describe, expect, jest, test } from "@jest/globals";
import { Command } from "commander";
import { InputError } from "@sam-repro/runner";
import { cycleReport, registerCommands, stabilityReport } from "./commands.js";
import { usamCriticalStepSize } from "./theory.js";

describe("sam-repro convergence stability", () => {
  test("predicted and measured stability agree on both sides of gamma*", () => {
    const gammaStar = usamCriticalStepSize(1, 1.5);
    for (const factor of [0.95, 1.05]) {
      const report = stabilityReport({ "--gamma": String(factor * gammaStar), "--rho": "1", "--eigenvalues": "1.5,0.4,0.1", "--steps": "600", "--seed": "3" });
      expect(report.predictedStable).toBe(factor < 1);
      expect(report.measuredStable).toBe(factor < 1);
      expect(report.criticalGamma).toBeCloseTo(gammaStar, 12);
    }
  });

  test("bad flags are InputErrors that name the flag", () => {
    const base = { "--rho": "1", "--lambda-max": "1", "--steps": "10", "--seed": "0" };
    expect(() => stabilityReport({ ...base, "--gamma": "-1" })).toThrow(InputError);
    expect(() => stabilityReport({ ...base, "--gamma": "abc" })).toThrow(/--gamma/);
    expect(() => stabilityReport({ "--gamma": "1", "--rho": "1", "--steps": "10", "--seed": "0" })).toThrow(/--lambda-max or --eigenvalues/);
    expect(() => stabilityReport({ ...base, "--gamma": "0.1", "--eigenvalues": "2,1" })).toThrow(/differs from the largest/);
  });
});

describe("sam-repro convergence cycle", () => {
  test("reports the 2-cycle amplitude and iterates that reach it", () => {
    const report = cycleReport({ "--gamma": "0.5", "--rho": "1", "--lambda": "1", "--w0": "2", "--steps": "100", "--tail": "10" });
    expect(report.predictedAmplitude).toBeCloseTo(1 / 3, 15);
    expect(report.relativeError as number).toBeLessThan(1e-9);
    expect(report.alternates).toBe(true);
  });

  test("prints one JSON object through the registered command", async () => {
    const program = new Command().exitOverride();
    registerCommands(program);
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      await program.parseAsync(["node", "sam-repro", "convergence", "cycle", "--gamma", "1.5", "--rho", "2", "--json"]);
    } finally {
      spy.mockRestore();
    }
    const report = JSON.parse(written.join("")) as { predictedAmplitude: number };
    expect(report.predictedAmplitude).toBeCloseTo((1.5 * 2) / (2 - 1.5), 12);
  });
});
