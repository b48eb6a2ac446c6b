import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from "@jest/globals";
import { InputError, REPORTS_DIR_ENV_VAR, listExperiments, type Profile } from "@sam-repro/runner";
import { z } from "zod";
import { checkFiguresMatchConfigs, reproduceFigures, type FigureDefinition } from "./figure-contract.js";
import { sampleFigure, temporaryReports } from "./test-figures.js";
import type { FigureOutput } from "./types.js";

// The driver is exercised on the real configs of one package, with stand-in figures in place of its real ones.
const PACKAGE = "convergence";
const configured = listExperiments(PACKAGE);

let reports: string;
const savedReports = process.env[REPORTS_DIR_ENV_VAR];
beforeAll(() => {
  reports = temporaryReports("figure-contract-");
  process.env[REPORTS_DIR_ENV_VAR] = reports;
});
afterAll(() => {
  rmSync(reports, { recursive: true, force: true });
  if (savedReports === undefined) delete process.env[REPORTS_DIR_ENV_VAR];
  else process.env[REPORTS_DIR_ENV_VAR] = savedReports;
});
afterEach(() => {
  jest.restoreAllMocks();
});

/** Stand-in figures with the package's ids: each records its call and returns a sample figure with one claim per id letter. */
function standIns(ids: readonly string[], calls: string[]): FigureDefinition[] {
  return ids.map((id, index) => ({
    id,
    settingsSchema: z.unknown(),
    produce: async (profile: Profile): Promise<FigureOutput> => {
      calls.push(id);
      return { ...sampleFigure(id, `Figure ${index + 1}`, index % 2 ? ["holds"] : ["does not hold", "inconclusive"], profile), data: { producedBy: id, index } };
    },
  }));
}

const captureStderr = () => {
  const lines: string[] = [];
  jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  return lines;
};

describe("checkFiguresMatchConfigs", () => {
  const experiments = temporaryReports("figure-contract-configs-");
  afterAll(() => rmSync(experiments, { recursive: true, force: true }));
  for (const [id, packageName] of [["a-fig", "pkg"], ["b-fig", "pkg"], ["c-fig", "other"], ["_template", "pkg"]]) {
    writeFileSync(path.join(experiments, `${id}.json`), JSON.stringify({ id, package: packageName }));
  }
  const figures = (...ids: string[]) => ids.map((id) => ({ id, settingsSchema: z.unknown() }));

  test("accepts exactly the package's configs, in any order (another package's configs and _templates do not count)", () => {
    expect(() => checkFiguresMatchConfigs("pkg", figures("b-fig", "a-fig"), experiments)).not.toThrow();
  });

  test("names a config without a figure, a figure without a config, and a figure declared twice", () => {
    expect(() => checkFiguresMatchConfigs("pkg", figures("a-fig"), experiments)).toThrow(/pkg: .*configs without a figure: b-fig$/);
    expect(() => checkFiguresMatchConfigs("pkg", figures("a-fig", "b-fig", "c-fig"), experiments)).toThrow(/figures without a config .*: c-fig$/);
    expect(() => checkFiguresMatchConfigs("pkg", figures("a-fig", "b-fig", "a-fig"), experiments)).toThrow(/figures declared twice: a-fig$/);
    expect(() => checkFiguresMatchConfigs("pkg", figures("b-fig", "z-fig"), experiments)).toThrow(/configs without a figure: a-fig; figures without a config .*: z-fig/);
  });
});

describe("reproduceFigures", () => {
  test("the package has configs to drive (else the tests below check nothing)", () => {
    expect(configured.length).toBeGreaterThanOrEqual(2);
  });

  test("runs every figure in definition order, writes what produce returned, prints one line per figure with its verdicts", async () => {
    const order = [...configured].reverse();
    const calls: string[] = [];
    const hookCalls: string[] = [];
    const lines = captureStderr();
    await reproduceFigures(PACKAGE, standIns(order, calls), { profile: "smoke" }, {
      beforeAll: (selected, profile) => void hookCalls.push(`all:${profile}:${selected.map((figure) => figure.id).join(",")}`),
      beforeFigure: (figure) => void hookCalls.push(`before:${figure.id}:after ${calls.length} produced`),
    });
    expect(calls).toEqual(order);
    expect(hookCalls).toEqual([`all:smoke:${order.join(",")}`, ...order.map((id, index) => `before:${id}:after ${index} produced`)]);
    for (const [index, id] of order.entries()) {
      const expected = { ...sampleFigure(id, `Figure ${index + 1}`, index % 2 ? ["holds"] : ["does not hold", "inconclusive"], "smoke"), data: { producedBy: id, index } };
      const directory = path.join(reports, id);
      expect(JSON.parse(readFileSync(path.join(directory, "data.json"), "utf8"))).toEqual(expected.data);
      expect(JSON.parse(readFileSync(path.join(directory, "claims.json"), "utf8"))).toEqual(expected.claims);
      expect(JSON.parse(readFileSync(path.join(directory, "meta.json"), "utf8"))).toMatchObject({ id, paperFigure: expected.paperFigure, profile: "smoke" });
      const verdicts = expected.claims.map((claim) => `${claim.id}: ${claim.verdict}`).join(", ");
      expect(lines[index]).toMatch(new RegExp(`^${id}: wrote ${directory.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} — ${verdicts} \\(\\d+\\.\\d s\\)\\n$`));
    }
    expect(lines).toHaveLength(order.length);
  });

  test("`only` runs just the figures named, still in definition order", async () => {
    const calls: string[] = [];
    captureStderr();
    const only = [configured[configured.length - 1]!, configured[0]!];
    await reproduceFigures(PACKAGE, standIns(configured, calls), { profile: "smoke", only });
    expect(calls).toEqual([configured[0], configured[configured.length - 1]]);
  });

  test("an unknown id in `only` is an InputError listing the package's ids, before anything runs", async () => {
    const calls: string[] = [];
    const hooked: string[] = [];
    const run = reproduceFigures(PACKAGE, standIns(configured, calls), { profile: "smoke", only: [configured[0]!, "no-such-figure"] }, { beforeAll: () => void hooked.push("all") });
    await expect(run).rejects.toThrow(InputError);
    await expect(run).rejects.toThrow(`--only: unknown figure id(s) no-such-figure; allowed: ${configured.join(", ")}`);
    expect(calls).toEqual([]);
    expect(hooked).toEqual([]);
  });

  test("figures that do not match the configs stop the driver before anything is produced or written", async () => {
    const calls: string[] = [];
    const before = readdirSync(reports).sort();
    const [dropped, ...kept] = configured;
    await expect(reproduceFigures(PACKAGE, standIns(kept, calls), { profile: "smoke" })).rejects.toThrow(new RegExp(`configs without a figure: ${dropped}$`));
    await expect(reproduceFigures(PACKAGE, standIns([...configured, "extra-figure"], calls), { profile: "smoke" })).rejects.toThrow(/figures without a config .*: extra-figure$/);
    expect(calls).toEqual([]);
    expect(readdirSync(reports).sort()).toEqual(before);
  });

  test("a produce that returns another figure's output is an error, and nothing is written for it", async () => {
    captureStderr();
    const [first] = configured;
    const figures = standIns(configured, []).map((figure) =>
      figure.id === first ? { ...figure, produce: async (profile: Profile) => ({ ...sampleFigure("someone-else", "Figure 1", [], profile) }) } : figure,
    );
    await expect(reproduceFigures(PACKAGE, figures, { profile: "smoke", only: [first!] })).rejects.toThrow(`figure ${first}: produce returned the figure "someone-else"`);
    expect(existsSync(path.join(reports, "someone-else"))).toBe(false);
  });
});
