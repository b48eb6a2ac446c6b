import type { FigureOutput } from "@sam-repro/figures";
import { z } from "zod";
import { CURVES, lineChart, type ClaimResult, type Row } from "@sam-repro/figures";
import { describeErrors, judgedClaim, loadExperiment, seedsSchema, summarize, type ExperimentConfig, type Profile, type Summary } from "@sam-repro/runner";
import type { RunResult } from "../training/run-store.js";
import { baseTrainingSchema, figureOutput, finalTestError, judgeErrors, scaleContext, trainConfig } from "./common.js";
import { jobDirectory, runJobs, type TrainJob } from "./jobs.js";
import { estimateMinutes, sharedJob } from "./shared-runs.js";
import { switchSettings, type SwitchDirection } from "./switch-timing.js";

export const FIG9_ID = "fig9-finetuning";

export const finetuningSettingsSchema = z
  .strictObject({
    seeds: seedsSchema,
    /** Settings of the base ERM and SAM runs (the paper: 1000 epochs, piecewise schedule). */
    base: baseTrainingSchema,
    /** Wall minutes when none of the runs exists (estimateMinutes; a test recomputes it). */
    estimatedMinutes: z.number().min(0),
    /** rho of the base SAM run. */
    samRho: z.number().positive(),
    /** m of the SAM runs (default: the batch, standard SAM). */
    samM: z.number().int().min(1).optional(),
    /** rho of ERM -> SAM: "higher than the standard value" (unspecified in the paper, SPEC 5.C); default samRho. */
    fineTuneRho: z.number().positive().optional(),
    /**
     * The paper's design: a continuation after the end of the base runs, from their final weights
     * (the paper: 100 epochs; LR unknown, SPEC 3.6: constant final LR).
     */
    continuation: z
      .strictObject({
        epochs: z.number().int().min(1),
        learningRate: z.number().positive(),
        schedule: z.enum(["constant", "cosine", "piecewise"]).default("constant"),
        evalEvery: z.number().int().min(1).default(1),
      })
      .optional(),
    /**
     * The design of a short budget: one run per switch, the method switched at this fraction of the
     * epochs inside the base schedule (the optimizer's epoch window, switchSettings of the switch-timing
     * figure, so that both figures share the runs). ERM -> ERM is then plain ERM.
     */
    switchAt: z.number().gt(0).lt(1).optional(),
    /** Only epochs after this fraction of the base run are plotted (the paper shows 700..1100 of 1000 + 100). */
    plotFromFraction: z.number().min(0).max(1).default(0),
  })
  .superRefine((s, context) => {
    if ((s.continuation === undefined) === (s.switchAt === undefined)) context.addIssue({ code: "custom", path: ["switchAt"], message: "set exactly one of continuation (switch after the base runs) and switchAt (switch inside them)" });
  });
export type FinetuningSettings = z.infer<typeof finetuningSettingsSchema>;

export type FinetuningRole = "erm" | "sam" | "erm-erm" | "erm-sam" | "sam-erm";
export type FinetuningJob = TrainJob & { role: FinetuningRole; seed: number };

/**
 * The base runs (phase 1) and the runs after the switch (phase 2: continuations from the base runs'
 * final weights; with switchAt, whole runs whose method changes at the switch, which need no phase 1).
 */
export function finetuningJobs(settings: FinetuningSettings, profile: Profile): { bases: FinetuningJob[]; continuations: FinetuningJob[] } {
  const bases: FinetuningJob[] = [];
  const continuations: FinetuningJob[] = [];
  const samOf = (rho: number, epochWindow?: [number, number]) => ({ variant: "sam", rho, ...(settings.samM !== undefined ? { m: settings.samM } : {}), ...(epochWindow ? { epochWindow } : {}) });
  const fineTuneRho = settings.fineTuneRho ?? settings.samRho;
  for (const seed of settings.seeds) {
    // The runs are named by their config (shared-runs.ts), so other figures that train them share them.
    const erm: FinetuningJob = { ...sharedJob(settings.base, { seed, sam: { variant: "sgd" } }), role: "erm", seed };
    const sam: FinetuningJob = { ...sharedJob(settings.base, { seed, sam: samOf(settings.samRho) }), role: "sam", seed };
    bases.push(erm, sam);
    if (settings.switchAt !== undefined) {
      const epochs = trainConfig(settings.base, {}).epochs;
      const switched = (role: FinetuningRole, direction: SwitchDirection, rho: number): FinetuningJob => {
        const window = switchSettings(direction, settings.switchAt!, epochs).epochWindow;
        return { ...sharedJob(settings.base, { seed, sam: samOf(rho, window) }), role, seed };
      };
      continuations.push({ ...erm, role: "erm-erm" }, switched("erm-sam", "erm-to-sam", fineTuneRho), switched("sam-erm", "sam-to-erm", settings.samRho));
      continue;
    }
    const c = settings.continuation!;
    const continuation = (name: string, role: FinetuningRole, from: FinetuningJob, sam: Record<string, unknown>): FinetuningJob => ({
      name,
      role,
      seed,
      config: trainConfig(settings.base, {
        seed,
        epochs: c.epochs,
        learningRate: c.learningRate,
        schedule: c.schedule,
        evalEvery: c.evalEvery,
        sam,
        // The official --model_path loads the weights only: momentum starts from zero (SPEC 1.3 h).
        initFrom: jobDirectory(from, profile),
      }),
    });
    continuations.push(
      continuation(`ft-erm-erm-s${seed}`, "erm-erm", erm, { variant: "sgd" }),
      continuation(`ft-erm-sam-s${seed}`, "erm-sam", erm, { variant: "sam", rho: fineTuneRho }),
      continuation(`ft-sam-erm-s${seed}`, "sam-erm", sam, { variant: "sgd" }),
    );
  }
  return { bases, continuations };
}

/** Every distinct training run of the figure (for the time estimate). */
export function fig9Jobs(settings: FinetuningSettings, profile: Profile): TrainJob[] {
  const { bases, continuations } = finetuningJobs(settings, profile);
  return [...bases, ...continuations];
}

/** Trains (or reuses) the base runs, then the continuations. */
export async function runFinetuning(settings: FinetuningSettings, profile: Profile, label: string): Promise<Map<string, RunResult>> {
  const { bases, continuations } = finetuningJobs(settings, profile);
  const results = await runJobs(bases, profile, `${label} (base runs)`);
  for (const [name, result] of await runJobs(continuations, profile, `${label} (after the switch)`)) results.set(name, result);
  return results;
}

/** Where and how the method switches, in words. */
function switchDescription(settings: FinetuningSettings, baseEpochs: number): string {
  if (settings.continuation) return `switch after ${baseEpochs} epochs, then ${settings.continuation.epochs} epochs at ${settings.continuation.schedule} LR ${settings.continuation.learningRate}`;
  const k = Math.round(settings.switchAt! * baseEpochs);
  return `switch after epoch ${k} of ${baseEpochs} (inside the schedule; ERM continued = ERM)`;
}

const LABELS: Record<FinetuningRole, string> = {
  erm: "ERM",
  sam: "SAM",
  "erm-erm": "ERM",
  "erm-sam": "ERM → SAM",
  "sam-erm": "SAM → ERM",
};

/**
 * Fig. 9 (SPEC 3.6, 5.B3): test error over epochs for ERM and SAM, then after the switch at the end of
 * training: ERM -> ERM (continued), ERM -> SAM (higher rho) and SAM -> ERM.
 */
export async function reproduceFig9(profile: Profile): Promise<FigureOutput> {
  const started = performance.now();
  const experiment = loadExperiment(FIG9_ID, profile, finetuningSettingsSchema);
  const settings = experiment.settings;
  const results = await runFinetuning(settings, profile, FIG9_ID);
  const { bases, continuations } = finetuningJobs(settings, profile);
  const baseEpochs = trainConfig(settings.base, {}).epochs;

  // Curves: ERM = base ERM then ERM -> ERM; SAM = base SAM then SAM -> ERM ... as the paper draws them.
  const rows: Row[] = [];
  const curve = (role: FinetuningRole, seed: number, metric: "testError" | "trainEvalError" = "testError"): Array<{ epoch: number; error: number }> => {
    const job = [...bases, ...continuations].find((j) => j.role === role && j.seed === seed)!;
    const result = results.get(job.name);
    const offset = role.includes("-") && settings.continuation ? baseEpochs : 0;
    return (result?.metrics ?? []).filter((m) => m[metric] !== null && m[metric] !== undefined).map((m) => ({ epoch: m.epoch + offset, error: m[metric]! }));
  };
  const lines: Array<{ label: string; roles: FinetuningRole[] }> = [
    { label: "ERM", roles: ["erm", "erm-erm"] },
    { label: "ERM → SAM", roles: ["erm-sam"] },
    { label: "SAM", roles: ["sam"] },
    { label: "SAM → ERM", roles: ["sam-erm"] },
  ];
  const fromEpoch = settings.plotFromFraction * baseEpochs;
  // Train error beside test error (the facets), as every deep-net figure shows.
  for (const [metric, field] of [["Test error (%)", "testError"], ["Train error (%)", "trainEvalError"]] as const) {
    for (const line of lines) {
      const byEpoch = new Map<number, number[]>();
      for (const seed of settings.seeds) {
        // With switchAt, ERM continued is ERM itself: its points are counted once.
        for (const role of new Set(line.roles.map((r) => (settings.continuation ? r : r === "erm-erm" ? "erm" : r)))) {
          for (const point of curve(role, seed, field)) byEpoch.set(point.epoch, [...(byEpoch.get(point.epoch) ?? []), point.error]);
        }
      }
      // ERM -> SAM starts from the ERM weights: its curve starts at ERM's last base point.
      if (settings.continuation && (line.label === "ERM → SAM" || line.label === "SAM → ERM")) {
        const baseRole = line.label === "ERM → SAM" ? "erm" : "sam";
        for (const seed of settings.seeds) {
          const last = curve(baseRole, seed, field).at(-1);
          if (last) byEpoch.set(last.epoch, [...(byEpoch.get(last.epoch) ?? []), last.error]);
        }
      }
      for (const [epoch, errors] of [...byEpoch.entries()].sort((a, b) => a[0] - b[0])) {
        if (epoch < fromEpoch) continue;
        const s = summarize(errors);
        rows.push({ metric, method: line.label, epoch, error: 100 * s.mean, lower: 100 * s.min, upper: 100 * s.max });
      }
    }
  }
  const curves = [CURVES.ermRed, CURVES.ermToSam, { ...CURVES.sam, label: "SAM" }, CURVES.samToErm];
  const spec = lineChart({
    title: "Fig. 9: switching between ERM and SAM at the end of training",
    subtitle: `profile ${profile}; mean over seeds ${settings.seeds.join(", ")}, band = min..max; dashed line: the switch`,
    data: rows,
    x: { field: "epoch", title: "Epoch" },
    y: { field: "error", title: "Error (%)" },
    color: { field: "method", title: "Method", domain: curves.map((c) => c.label), range: curves.map((c) => c.color) },
    band: { lower: "lower", upper: "upper" },
    facet: { field: "metric", columns: 2, independentY: true },
    ruleX: settings.switchAt !== undefined ? Math.round(settings.switchAt * baseEpochs) : baseEpochs,
  });

  // Per seed, in the order of settings.seeds (the jobs are built seed by seed).
  const perSeed = (role: FinetuningRole): Array<number | null> =>
    [...bases, ...continuations].filter((j) => j.role === role).map((j) => finalTestError(results.get(j.name)));
  const final = (role: FinetuningRole): Summary => summarize(perSeed(role));
  const claims = fig9Claims(experiment, settings, final, perSeed);
  return figureOutput(experiment, {
    setup: settings,
    scaledDown: `${scaleContext(settings.base, settings.seeds)}; ${switchDescription(settings, baseEpochs)} (paper: 1000 + 100 epochs of PreAct ResNet-18 on 45k images with augmentation, switched after the 1000; CIFAR-100 panel not run). Estimated ${estimateMinutes(fig9Jobs(settings, profile))} min when no run exists.`,
    data: { rows, final: Object.fromEntries((Object.keys(LABELS) as FinetuningRole[]).map((role) => [role, final(role)])), perSeed: Object.fromEntries((Object.keys(LABELS) as FinetuningRole[]).map((role) => [role, perSeed(role)])) },
    spec,
    claims,
    started,
    results: results.values(),
  });
}

/**
 * The claims of Fig. 9 (pure; `rejudge` re-applies it to a committed data.json), paired over seeds (each seed's
 * continuations start from the same weights) with the rules the config declares: ERM -> SAM against continued
 * ERM, and SAM -> ERM against continued ERM (SAM's advantage kept), with the change against SAM at the switch shown.
 */
export function fig9Claims(
  experiment: ExperimentConfig<unknown>,
  settings: FinetuningSettings,
  final: (role: FinetuningRole) => Summary,
  perSeed: (role: FinetuningRole) => Array<number | null>,
): ClaimResult[] {
  const baseEpochs = Number((settings.base as Record<string, unknown>).epochs ?? 200);
  const context = `${scaleContext(settings.base, settings.seeds)}; ${switchDescription(settings, baseEpochs)}; ERM -> SAM rho ${settings.fineTuneRho ?? settings.samRho}, base SAM rho ${settings.samRho}${settings.samM ? `, m ${settings.samM}` : ""}`;
  return [
    judgedClaim(experiment, "erm-to-sam-improves", {
      ourValue: `ERM -> SAM ${describeErrors(final("erm-sam"))} vs ERM continued ${describeErrors(final("erm-erm"))}; ERM at the switch ${describeErrors(final("erm"))}`,
      judgement: judgeErrors(experiment, "erm-to-sam-improves", [{ baseline: perSeed("erm-erm"), candidate: perSeed("erm-sam"), label: "ERM continued - ERM -> SAM" }]),
      details: `Paired over seeds: final test error of continued ERM minus that of ERM -> SAM. ${context}.`,
    }),
    judgedClaim(experiment, "sam-to-erm-keeps", {
      ourValue: `SAM -> ERM ${describeErrors(final("sam-erm"))} vs ERM continued ${describeErrors(final("erm-erm"))}; SAM at the switch ${describeErrors(final("sam"))}`,
      judgement: judgeErrors(experiment, "sam-to-erm-keeps", [{ baseline: perSeed("erm-erm"), candidate: perSeed("sam-erm"), label: "ERM continued - SAM -> ERM" }]),
      details: `Paired over seeds: final test error of continued ERM minus that of SAM -> ERM (SAM's advantage kept after the switch). ${context}.`,
    }),
  ];
}
