import { describe, expect, test } from "@jest/globals";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { FIGURE_FILES, type ClaimResult } from "@sam-repro/figures";
import { experimentFile, loadExperiment, type Profile } from "@sam-repro/runner";
import { resolveDataDirectory } from "../data/cifar-files.js";
import { FIGURES, reproduce } from "../reproduce.js";
import type { RunResult } from "../training/run-store.js";
import { DEEP_NET_FIGURES, estimateFigureMinutes, estimateGroupMinutes } from "./figure-table.js";
import { FIG1_ID } from "./fig1-perturbations.js";
import { FIG9_ID } from "./fig9-finetuning.js";
import { FIG10_ID } from "./fig10-interpolation.js";
import { LABEL_NOISE_ID } from "./fig12-label-noise.js";
import { MSAM_ID } from "./msam-vs-m.js";
import { runName, sharedJob } from "./shared-runs.js";
import { useTemporaryReportsAndRuns } from "./test-environment.js";
import { TRAINING_CONVERGENCE_ID } from "./training-convergence.js";

// The m-sharpness figures of issue 13 parts 1-6 (the others have smoke tests of their own in reproduce.test.ts and convergence-figures.test.ts).
const MSHARPNESS_FIGURES = DEEP_NET_FIGURES.filter((figure) => ![FIG1_ID, MSAM_ID, FIG9_ID, FIG10_ID, TRAINING_CONVERGENCE_ID, LABEL_NOISE_ID].includes(figure.id));
const IDS = MSHARPNESS_FIGURES.map((figure) => figure.id);
const PROFILES: Profile[] = ["smoke", "quick", "cpu", "paper"];
const rawConfig = (id: string) => JSON.parse(readFileSync(experimentFile(id), "utf8")) as { claims: Array<{ id: string; rule?: unknown }>; profiles: Record<Profile, Record<string, unknown> | undefined> };
/** The profile whose settings a profile runs (quick falls back to cpu where a config has none). */
const profileOf = (id: string, profile: Profile) => rawConfig(id).profiles[profile] ?? rawConfig(id).profiles.cpu!;
/** The training bases of a figure's settings: `base` and each panel's base. */
const basesOf = (settings: Record<string, unknown>) => [settings.base, ...((settings.panels as Array<{ base: unknown }> | undefined) ?? []).map((p) => p.base)].filter((b) => b !== undefined);

let haveCifar10 = true;
try {
  resolveDataDirectory("cifar10");
} catch {
  haveCifar10 = false;
}
if (!haveCifar10) console.warn("m-sharpness figures: the smoke run is skipped: no CIFAR-10 found (--data-dir, SAM_REPRO_DATA_DIR, <workspace>/data, ../shared/datasets)");

describe("configs of the deep-net figures", () => {
  test("are registered with the package's figures, every claim declares a rule, every profile loads", () => {
    expect(FIGURES.map((f) => f.id)).toEqual(DEEP_NET_FIGURES.map((f) => f.id));
    for (const figure of DEEP_NET_FIGURES) {
      const config = rawConfig(figure.id);
      for (const claim of config.claims) expect(claim.rule).toBeDefined();
      for (const profile of PROFILES) expect(() => loadExperiment(figure.id, profile, figure.settingsSchema)).not.toThrow();
    }
  });

  test("estimatedMinutes of every profile is what the cost model computes from the config", () => {
    for (const figure of DEEP_NET_FIGURES.filter((f) => f.declaresEstimate !== false)) {
      for (const profile of PROFILES) {
        const declared = profileOf(figure.id, profile).estimatedMinutes as number;
        const computed = estimateFigureMinutes(figure, profile);
        expect(Math.abs(declared - computed)).toBeLessThanOrEqual(Math.max(0.1, 0.02 * computed));
      }
    }
  });

  test("the cpu profiles use the regime of issue 12 with >= 3 seeds and one shared base, so runs with equal configs are shared", () => {
    // Fig. 10 has no base of its own (Fig. 9's runs); Fig. 12 trains with label noise for twice the epochs.
    const withBase = DEEP_NET_FIGURES.filter((f) => f.id !== FIG10_ID && f.id !== LABEL_NOISE_ID).map((f) => f.id);
    const bases = withBase.flatMap((id) => basesOf(rawConfig(id).profiles.cpu!).map((b) => JSON.stringify(b)));
    expect(bases.length).toBeGreaterThanOrEqual(withBase.length);
    expect(new Set(bases).size).toBe(1);
    const base = JSON.parse(bases[0]!) as Record<string, unknown>;
    expect(base).toMatchObject({ model: "resnet_tiny", width: 16, batchSize: 128, augment: false, testSize: 10_000 });
    expect(base.trainSize as number).toBeGreaterThanOrEqual(5000);
    expect(base.epochs as number).toBeGreaterThanOrEqual(30);
    for (const id of withBase) expect((rawConfig(id).profiles.cpu!.seeds as number[]).length).toBeGreaterThanOrEqual(3);
    // Shared runs are counted once: the group costs less than its figures one by one.
    const separately = DEEP_NET_FIGURES.reduce((sum, figure) => sum + estimateFigureMinutes(figure, "cpu"), 0);
    expect(estimateGroupMinutes("cpu")).toBeLessThan(separately * 0.8);
  });

  test("run names depend on the config only: equal configs share a name, different methods do not", () => {
    const base = { model: "resnet_tiny", width: 4, trainSize: 32, epochs: 2, batchSize: 16 };
    const names = [
      { sam: { variant: "sgd" } },
      { sam: { variant: "sgd" }, ghostBatchSize: 4 },
      { sam: { variant: "sam", rho: 0.1 } },
      { sam: { variant: "sam", rho: 0.1, m: 4 } },
      { sam: { variant: "sam", rho: 0.1, m: 16 } },
      { sam: { variant: "sam", rho: 0.1, ascentSteps: 3 } },
      { sam: { variant: "usam", rho: 0.1 } },
      { sam: { variant: "sam", rho: 0.1, epochWindow: [0, 0.5] } },
      { sam: { variant: "sgd" }, model: "resnet_tiny_gn" },
      { sam: { variant: "sgd" }, labelNoise: { fraction: 0.6, type: "symmetric" } },
      { sam: { variant: "sgd" }, dataset: "cifar100" },
    ].map((overrides) => sharedJob(base, { ...overrides, seed: 1 }).name);
    expect(names).toEqual(["erm-s1", "erm-ghost4-s1", "sam-r0.1-s1", "sam-r0.1-m4-s1", "sam-r0.1-s1", "sam-r0.1-k3-s1", "usam-r0.1-s1", "sam-r0.1-w0-0.5-s1", "gn-erm-s1", "noise0.6-erm-s1", "cifar100-erm-s1"]);
    // m = the batch (16) is standard SAM: one run, whichever way it is written.
    const explicit = sharedJob(base, { sam: { variant: "sam", rho: 0.1, m: 16 } });
    const implicit = sharedJob(base, { sam: { variant: "sam", rho: 0.1 } });
    expect(explicit).toEqual(implicit);
    expect(runName(explicit.config)).toBe("sam-r0.1-s0");
  });
});

describe("reproduce the m-sharpness figures --profile smoke", () => {
  const temporaryDirectory = useTemporaryReportsAndRuns("msharpness-figures-");

  (haveCifar10 ? test : test.skip)(
    "every figure writes its files and a verdict by the declared rule for each claim; runs shared between figures are trained once; the switches follow their windows",
    async () => {
      const temporary = temporaryDirectory();
      await reproduce({ profile: "smoke", only: IDS });
      for (const id of IDS) {
        const directory = path.join(temporary, "reports", id);
        for (const file of FIGURE_FILES) expect(existsSync(path.join(directory, file))).toBe(true);
        const claims = JSON.parse(readFileSync(path.join(directory, "claims.json"), "utf8")) as Array<ClaimResult & { rule?: unknown }>;
        const config = rawConfig(id);
        expect(claims.map((c) => c.id).sort()).toEqual(config.claims.map((c) => c.id).sort());
        for (const claim of claims) {
          expect(claim.profile).toBe("smoke");
          expect(claim.rule).toEqual(config.claims.find((c) => c.id === claim.id)!.rule);
        }
      }
      // One run directory per distinct run of the whole group.
      const runs = readdirSync(path.join(temporary, "runs", "deep-nets", "smoke")).filter((name) => name !== "ascent-gap");
      const distinct = new Set(MSHARPNESS_FIGURES.flatMap((figure) => figure.jobs(loadExperiment(figure.id, "smoke", figure.settingsSchema).settings as never).map((job) => `${job.name}:${JSON.stringify(job.config)}`)));
      expect(runs.length).toBe(distinct.size);
      // Of 2 epochs (evaluated every epoch), ERM -> SAM at 50% is SAM in epoch 2 only, SAM -> ERM at 50% in epoch 1 only.
      const activity = (prefix: string) => {
        const run = runs.find((name) => name.startsWith(prefix))!;
        return (JSON.parse(readFileSync(path.join(temporary, "runs", "deep-nets", "smoke", run, "result.json"), "utf8")) as RunResult).metrics.map((m) => m.samActive);
      };
      expect(activity("sam-r0.1-m4-w1-1-s0-")).toEqual([false, true]);
      expect(activity("sam-r0.1-m4-w0-0.5-s0-")).toEqual([true, false]);
      // F-a: a factor per model, seed and m, from sharpness measured within the rho-ball.
      const gaps = JSON.parse(readFileSync(path.join(temporary, "reports", "ascent-gap-vs-m", "data.json"), "utf8")) as { gaps: Record<string, Array<Array<{ m: number; multiStep: { perturbationNorm: number } }>>> };
      for (const model of ["erm", "sam"]) {
        expect(gaps.gaps[model]![0]!.map((g) => g.m)).toEqual([4, 16]);
        for (const g of gaps.gaps[model]![0]!) expect(g.multiStep.perturbationNorm).toBeLessThanOrEqual(0.1 * (1 + 1e-4));
      }
    },
    600_000,
  );
});
