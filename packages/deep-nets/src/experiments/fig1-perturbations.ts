import type { FigureOutput } from "@sam-repro/figures";
import { z } from "zod";
import { CURVES, lineChart, panels, type ClaimResult, type Row } from "@sam-repro/figures";
import { loadExperiment, type Profile } from "@sam-repro/runner";
import { countParameters } from "../models/architecture.js";
import { modelConfigOf } from "../training/trainer.js";
import { classCount } from "../data/cifar-format.js";
import {
  baseTrainingSchema,
  figureOutput,
  claimResult,
  describeGain,
  describeSummary,
  finalTestError,
  pairedGain,
  finalTrainError,
  percent,
  scaleContext,
  seedsSchema,
  summarize,
  trainConfig,
  type Summary,
} from "./common.js";
import { runJobs, type TrainJob } from "./jobs.js";

export const FIG1_ID = "fig1-perturbations";

const settingsSchema = z.strictObject({
  seeds: seedsSchema,
  panels: z
    .array(
      z.strictObject({
        /** Panel title, e.g. "ResNet-18 on CIFAR-10". */
        label: z.string().min(1),
        base: baseTrainingSchema,
        samRhos: z.array(z.number().positive()).min(1),
        nSamRhos: z.array(z.number().positive()),
        randomSigmas: z.array(z.number().positive()),
        /** m of the m-SAM curve (the paper's 128-SAM): default the batch size. */
        m: z.number().int().min(1).optional(),
        /** Paper values read off Fig. 1 (SPEC 3.2), drawn as reference markers. */
        reference: z.array(z.strictObject({ method: z.string(), radius: z.number(), testError: z.number() })).default([]),
      }),
    )
    .min(1),
  /** A method "blows up" at a radius when its mean test error exceeds ERM's by this much (fraction). */
  blowUpMargin: z.number().positive().default(0.05),
});
type Settings = z.infer<typeof settingsSchema>;
type Panel = Settings["panels"][number];

interface Point {
  panel: string;
  method: "ERM" | "Random" | "n-SAM" | "m-SAM";
  /** rho for SAM / n-SAM; sigma*sqrt(p) for Random. */
  radius: number;
  parameter: number;
  test: Summary;
  train: Summary;
  /** Final test error per seed, in the order of settings.seeds (null: diverged). */
  perSeed: Array<number | null>;
  diverged: number;
}

function panelJobs(panel: Panel, index: number, seeds: number[]): Array<TrainJob & { method: Point["method"]; parameter: number }> {
  const jobs: Array<TrainJob & { method: Point["method"]; parameter: number }> = [];
  const prefix = `fig1-p${index}`;
  for (const seed of seeds) {
    jobs.push({ name: `${prefix}-erm-s${seed}`, method: "ERM", parameter: 0, config: trainConfig(panel.base, { seed, sam: { variant: "sgd" } }) });
    for (const rho of panel.samRhos) {
      const sam = { variant: "sam", rho, ...(panel.m !== undefined ? { m: panel.m } : {}) };
      jobs.push({ name: `${prefix}-msam-rho${rho}-s${seed}`, method: "m-SAM", parameter: rho, config: trainConfig(panel.base, { seed, sam }) });
    }
    for (const rho of panel.nSamRhos) {
      jobs.push({
        name: `${prefix}-nsam-rho${rho}-s${seed}`,
        method: "n-SAM",
        parameter: rho,
        config: trainConfig(panel.base, { seed, sam: { variant: "sam", rho, ascentBatch: "previous" } }),
      });
    }
    for (const sigma of panel.randomSigmas) {
      jobs.push({
        name: `${prefix}-random-sigma${sigma}-s${seed}`,
        method: "Random",
        parameter: sigma,
        config: trainConfig(panel.base, { seed, sam: { variant: "random", randomSigma: sigma } }),
      });
    }
  }
  return jobs;
}

/**
 * Fig. 1 (SPEC 3.2, 5.B1): final test error against the perturbation radius used for training, for
 * ERM, random weight perturbations (radius sigma*sqrt(p)), n-SAM (perturbation from the previous
 * batch) and m-SAM (perturbation from the same batch; m = the batch size unless set).
 */
export async function reproduceFig1(profile: Profile): Promise<FigureOutput> {
  const started = performance.now();
  const experiment = loadExperiment(FIG1_ID, profile, settingsSchema);
  const settings = experiment.settings;
  const allJobs = settings.panels.map((panel, index) => panelJobs(panel, index, settings.seeds));
  const results = await runJobs(allJobs.flat(), profile, FIG1_ID);

  const points: Point[] = [];
  settings.panels.forEach((panel, index) => {
    const jobs = allJobs[index]!;
    const parameterCount = countParameters(modelConfigOf(trainConfig(panel.base, {}), classCount(trainConfig(panel.base, {}).dataset)));
    const groups = new Map<string, typeof jobs>();
    for (const job of jobs) {
      const key = `${job.method}|${job.parameter}`;
      groups.set(key, [...(groups.get(key) ?? []), job]);
    }
    for (const group of groups.values()) {
      const first = group[0]!;
      const runs = group.map((job) => results.get(job.name));
      points.push({
        panel: panel.label,
        method: first.method,
        parameter: first.parameter,
        radius: first.method === "Random" ? first.parameter * Math.sqrt(parameterCount) : first.parameter,
        test: summarize(runs.map(finalTestError)),
        train: summarize(runs.map(finalTrainError)),
        perSeed: runs.map(finalTestError),
        diverged: runs.filter((run) => run?.status === "diverged").length,
      });
    }
  });

  const rows: Row[] = [];
  const charts = settings.panels.map((panel) => {
    const mine = points.filter((point) => point.panel === panel.label);
    const erm = mine.find((point) => point.method === "ERM")!;
    const radii = mine.filter((point) => point.method !== "ERM").map((point) => point.radius);
    const low = Math.min(...radii, ...panel.reference.map((r) => r.radius)) / 1.5;
    const high = Math.max(...radii, ...panel.reference.map((r) => r.radius)) * 1.5;
    const label = (method: Point["method"]) =>
      method === "ERM" ? "None (ERM)" : method === "m-SAM" ? `${panel.m ?? trainConfig(panel.base, {}).batchSize}-SAM` : method;
    const panelRows: Row[] = [];
    for (const x of [low, high]) {
      panelRows.push({ panel: panel.label, method: label("ERM"), radius: x, testError: 100 * erm.test.mean, lower: 100 * erm.test.min, upper: 100 * erm.test.max });
    }
    for (const point of mine.filter((p) => p.method !== "ERM").sort((a, b) => a.radius - b.radius)) {
      panelRows.push({
        panel: panel.label,
        method: label(point.method),
        radius: point.radius,
        testError: 100 * point.test.mean,
        lower: 100 * point.test.min,
        upper: 100 * point.test.max,
      });
    }
    rows.push(...panelRows);
    const methods = ["ERM", "Random", "n-SAM", "m-SAM"] as const;
    const curves = [
      { ...CURVES.ermGray, label: label("ERM") },
      CURVES.random,
      CURVES.nSam,
      { ...CURVES.sam, label: label("m-SAM") },
    ];
    return lineChart({
      title: panel.label,
      data: panelRows,
      x: { field: "radius", title: "Perturbation radius used for training", scale: "log" },
      y: { field: "testError", title: "Test error (%)" },
      color: { field: "method", title: "Weight perturbations", domain: curves.map((c) => c.label), range: curves.map((c) => c.color) },
      band: { lower: "lower", upper: "upper" },
      points: true,
      referenceRows: panel.reference.map((r) => ({
        panel: panel.label,
        method: label((methods as readonly string[]).includes(r.method) ? (r.method as Point["method"]) : "m-SAM"),
        radius: r.radius,
        testError: r.testError,
      })),
    });
  });
  const spec = panels({
    title: "Fig. 1: test error vs perturbation radius",
    subtitle: `profile ${profile}; mean over seeds ${settings.seeds.join(", ")}, band = min..max`,
    charts: charts,
  });

  const claims = fig1Claims(experiment, settings, points);
  const firstBase = settings.panels[0]!.base;
  return figureOutput(experiment, {
    setup: settings,
    scaledDown: `${scaleContext(firstBase, settings.seeds)}; paper: PreAct ResNet-18 (11.2M parameters) on 45k CIFAR-10 images with augmentation, 200 epochs, batch 128, 3 seeds, and ResNet-34 on CIFAR-100 (not run at this profile: no CIFAR-100 files here). rho grids shortened to ${settings.panels.map((p) => `m-SAM {${p.samRhos.join(", ")}}, n-SAM {${p.nSamRhos.join(", ")}}, sigma {${p.randomSigmas.join(", ")}}`).join("; ")}.`,
    data: { points: points.map(({ test, train, ...rest }) => ({ ...rest, testError: test, trainError: train })), rows },
    spec,
    claims,
    started,
    results: results.values(),
  });
}

function fig1Claims(experiment: ReturnType<typeof loadExperiment<typeof settingsSchema>>, settings: Settings, points: Point[]): ClaimResult[] {
  const claims: ClaimResult[] = [];
  const context = scaleContext(settings.panels[0]!.base, settings.seeds);
  const bestGain: string[] = [];
  const gainVerdicts: boolean[] = [];
  const noGain: string[] = [];
  const noGainVerdicts: boolean[] = [];
  const blowUps: string[] = [];
  for (const panel of settings.panels) {
    const mine = points.filter((p) => p.panel === panel.label);
    const erm = mine.find((p) => p.method === "ERM")!;
    const ermText = `${panel.label}: ERM ${describeSummary(erm.test)} (train error ${percent(erm.train.mean)})`;
    const sam = mine
      .filter((p) => p.method === "m-SAM" && p.test.n > 0)
      .map((p) => ({ point: p, gain: pairedGain(erm.perSeed, p.perSeed) }))
      .sort((a, b) => b.gain.mean - a.gain.mean);
    const best = sam[0];
    if (best) {
      gainVerdicts.push(best.gain.consistentGain);
      bestGain.push(
        `${ermText}; best m-SAM rho=${best.point.parameter}: ${describeSummary(best.point.test)} (train error ${percent(best.point.train.mean)}), gain ${describeGain(best.gain)}` +
          sam.slice(1).map(({ point, gain }) => `; rho=${point.parameter}: ${describeSummary(point.test)}, gain ${describeGain(gain)}`).join(""),
      );
    }
    for (const p of mine.filter((q) => (q.method === "n-SAM" || q.method === "Random") && q.test.n > 0)) {
      const gain = pairedGain(erm.perSeed, p.perSeed);
      noGainVerdicts.push(!gain.consistentGain);
      noGain.push(`${panel.label} ${p.method} ${p.method === "Random" ? `radius ${p.radius.toPrecision(3)}` : `rho ${p.parameter}`}: ${describeSummary(p.test)} (train ${percent(p.train.mean)}), gain over ERM ${describeGain(gain)}`);
    }
    for (const p of mine.filter((q) => q.method !== "ERM")) {
      if (p.diverged > 0 || p.test.mean - erm.test.mean > settings.blowUpMargin) blowUps.push(`${panel.label} ${p.method} at radius ${p.radius.toPrecision(3)}`);
    }
  }
  const rule = "a consistent gain = lower test error than ERM on every seed (the runs of a seed share data split and initialization) with the mean paired gain above twice its standard error";
  claims.push(
    claimResult(
      experiment,
      "msam-best-beats-erm",
      bestGain.join("; "),
      gainVerdicts.length > 0 && gainVerdicts.every(Boolean) ? "holds" : "does not hold",
      `Holds when the best m-SAM rho shows ${rule} (picking the best rho favours m-SAM). ${context}.`,
    ),
  );
  claims.push(
    claimResult(
      experiment,
      "nsam-random-no-gain",
      noGain.join("; ") || "not run",
      noGain.length === 0 ? "not run" : noGainVerdicts.every(Boolean) ? "holds" : "does not hold",
      `Holds when no n-SAM or Random setting shows ${rule}. ${context}.`,
    ),
  );
  const largestRho = Math.max(...settings.panels.flatMap((p) => p.samRhos));
  claims.push(
    claimResult(
      experiment,
      "blow-up",
      blowUps.length ? `blow-ups (test error > ERM + ${100 * settings.blowUpMargin} pp or NaN): ${blowUps.join("; ")}` : `no blow-up up to m-SAM rho ${largestRho}`,
      largestRho >= 0.8 ? (blowUps.some((b) => b.includes("m-SAM")) ? "holds" : "does not hold") : "not run",
      largestRho >= 0.8
        ? `Checks the m-SAM blow-up at rho 0.8 (test error more than ${100 * settings.blowUpMargin} pp above ERM, or NaN).`
        : `The grid at this profile stops at rho ${largestRho}, below the paper's blow-up radii (m-SAM 0.8, n-SAM 3.2, Random ~100): not checked.`,
    ),
  );
  return claims;
}
