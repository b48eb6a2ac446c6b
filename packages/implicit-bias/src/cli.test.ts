import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "@jest/globals";
import { Command } from "commander";
import { InputError } from "@sam-repro/runner";
import { formatSummary, registerCommands, runDiagNetCommand } from "./cli.js";
import { DiagNetTrainer, initialState } from "./diag-net.js";
import { generateSparseRegression } from "./problem.js";

describe("sam-repro diag-net", () => {
  test("trains on the generated problem and reports the same losses as the trainer", () => {
    const summary = runDiagNetCommand({ method: "1sam", gamma: "0.5", alpha: "0.1", rho: "0.1", iters: "300", n: "20", d: "30", r: "3", nTest: "100", seed: "2" });
    const problem = generateSparseRegression({ n: 20, d: 30, r: 3, nTest: 100, seed: 2 });
    const run = new DiagNetTrainer(problem).run(initialState(30, 0.1), { method: "1sam", gamma: 0.5, rho: 0.1, iterations: 300 });
    expect(summary).toMatchObject({ trainLoss: run.trainLoss, testLoss: run.testLoss, diverged: false, iterations: 300 });
    expect(summary.seconds).toBeGreaterThan(0);
  });

  test("--json prints one object with trainLoss, testLoss, diverged, iterations, seconds; a diverged run gives null losses", () => {
    const summary = runDiagNetCommand({ method: "gd", gamma: "50", alpha: "1", iters: "1000" });
    expect(summary.diverged).toBe(true);
    const parsed = JSON.parse(formatSummary(summary, true)) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(["diverged", "iterations", "seconds", "testLoss", "trainLoss"]);
    expect(parsed.trainLoss).toBeNull();
    expect(parsed.iterations).toBeLessThan(1000);
    expect(formatSummary(summary, false)).toMatch(/diverged: yes/);
  });

  test("--problem loads a user problem", () => {
    const directory = mkdtempSync(path.join(os.tmpdir(), "implicit-bias-cli-"));
    const file = path.join(directory, "problem.json");
    writeFileSync(file, JSON.stringify({ X: [[1, 0], [0, 1]], y: [0.5, 0.2], Xtest: [[1, 1]], ytest: [0.7] }));
    const summary = runDiagNetCommand({ method: "gd", gamma: "0.5", alpha: "0.5", iters: "5000", problem: file });
    expect(summary.trainLoss).toBeLessThan(1e-12);
    expect(summary.testLoss).toBeLessThan(1e-12);
  });

  test.each([
    [{ method: "adam", gamma: "0.1" }, /--method: "adam" is not allowed; allowed values: gd, sgd, nsam, 1sam/],
    [{ gamma: "0.1" }, /--method: missing/],
    [{ method: "gd" }, /--gamma: missing; expected a number > 0/],
    [{ method: "gd", gamma: "0" }, /--gamma: "0" is not allowed; expected a number > 0/],
    [{ method: "gd", gamma: "0.1", rho: "-1" }, /--rho: "-1" is not allowed; expected a number >= 0/],
    [{ method: "gd", gamma: "0.1", iters: "2.5" }, /--iters: "2.5" is not allowed; expected an integer >= 1/],
    [{ method: "gd", gamma: "0.1", r: "40" }, /--r: 40 exceeds --d 30/],
    [{ method: "gd", gamma: "0.1", problem: "x.json", seed: "1" }, /--problem: cannot be combined with --seed/],
    [{ method: "nsam", gamma: "0.1", weightDecay: "0.1" }, /--weight-decay: applies to --method gd only/],
    [{ method: "gd", gamma: "0.1", lossDerivativeOnly: true }, /--loss-derivative-only: applies to --method 1sam only/],
  ])("rejects bad flags with an InputError naming the flag, the value and what is allowed (%j)", (flags, message) => {
    expect(() => runDiagNetCommand(flags)).toThrow(InputError);
    expect(() => runDiagNetCommand(flags)).toThrow(message);
  });

  test("registers the diag-net subcommand with the documented flags", () => {
    const program = new Command();
    registerCommands(program);
    const command = program.commands.find((candidate) => candidate.name() === "diag-net")!;
    const flags = command.options.map((option) => option.long);
    for (const flag of ["--method", "--gamma", "--alpha", "--rho", "--iters", "--problem", "--n", "--d", "--r", "--n-test", "--seed", "--json"]) {
      expect(flags).toContain(flag);
    }
  });
});
