import type { FigureOutput } from "@sam-repro/figures";
import { z } from "zod";
import { CURVES, lineChart, type Row } from "@sam-repro/figures";
import { describeErrors, judgedClaim, loadExperiment, type Profile } from "@sam-repro/runner";
import { figureOutput, judgeErrors, scaleContext, trainConfig } from "./common.js";
import { runJobs, type TrainJob } from "./jobs.js";
import { arm, armFinals, estimateMinutes, finalErrorRows, figureBasics, jobsOf, type Arm, type ArmFinals } from "./shared-runs.js";

export const SWITCH_TIMING_ID = "sam-switch-timing";

export type SwitchDirection = "sam-to-erm" | "erm-to-sam";

/**
 * The SAM settings of a switch at fraction x of E epochs (issue 13 part 4, SPEC-ADDENDUM F-d).
 * With k = round(x E) the number of epochs before the switch (epochs are 1-based, e = 1..E):
 * - SAM -> ERM: SAM in epochs 1..k, i.e. the optimizer's epoch window [0, k/E] (SAM iff e/E <= k/E);
 * - ERM -> SAM: SAM in epochs k+1..E, the window [(k+1)/E, 1].
 * Both windows are written as the same quotients the optimizer computes (e/E), so the comparison is exact.
 * For readers: docs/quantities.md ("Switch fraction").
 * A switch that leaves no epoch of one method is that method's plain run (no window): SAM -> ERM at 0
 * and ERM -> SAM at 100% are ERM; SAM -> ERM at 100% and ERM -> SAM at 0 are SAM. Those runs are the
 * same configs as the ERM and SAM runs of the other figures, and are trained once.
 */
export function switchSettings(direction: SwitchDirection, fraction: number, epochs: number): { sam: boolean; epochWindow?: [number, number]; samEpochs: number } {
  const k = Math.round(fraction * epochs);
  const samEpochs = direction === "sam-to-erm" ? k : epochs - k;
  if (samEpochs === 0) return { sam: false, samEpochs };
  if (samEpochs === epochs) return { sam: true, samEpochs };
  return { sam: true, epochWindow: direction === "sam-to-erm" ? [0, k / epochs] : [(k + 1) / epochs, 1], samEpochs };
}

const fractions = z.array(z.number().min(0).max(1)).min(1);

const settingsSchema = z
  .strictObject({
    ...figureBasics,
    /** The SAM that is switched on or off (at the cpu scale the small-m SAM that helps there). */
    sam: z.strictObject({ rho: z.number().positive(), m: z.number().int().min(1).optional() }),
    /** Switch points (fractions of the epochs) of each direction. */
    samToErm: fractions,
    ermToSam: fractions,
    /** The switch points the claims compare, fixed in advance: SAM in the first vs the second half, and the late ERM -> SAM switch. */
    half: z.number().min(0).max(1),
    lateSwitch: z.number().min(0).max(1),
  })
  .superRefine((s, context) => {
    if (!s.samToErm.includes(s.half)) context.addIssue({ code: "custom", path: ["samToErm"], message: `must include half = ${s.half}` });
    if (!s.ermToSam.includes(s.half)) context.addIssue({ code: "custom", path: ["ermToSam"], message: `must include half = ${s.half}` });
    if (!s.ermToSam.includes(s.lateSwitch)) context.addIssue({ code: "custom", path: ["ermToSam"], message: `must include lateSwitch = ${s.lateSwitch}` });
  });
type Settings = z.infer<typeof settingsSchema>;

const LABELS: Record<SwitchDirection, string> = { "sam-to-erm": "SAM → ERM", "erm-to-sam": "ERM → SAM" };

/** The arms of the figure: ERM, SAM, and one arm per direction and switch point (endpoints are ERM or SAM). */
export function switchArms(settings: Settings): { erm: Arm; sam: Arm; switches: Array<{ direction: SwitchDirection; fraction: number; arm: Arm }> } {
  const epochs = trainConfig(settings.base, {}).epochs;
  const samOverrides = (window?: [number, number]) => ({ sam: { variant: "sam", rho: settings.sam.rho, ...(settings.sam.m ? { m: settings.sam.m } : {}), ...(window ? { epochWindow: window } : {}) } });
  const erm = arm("erm", "ERM", settings.base, settings.seeds, { sam: { variant: "sgd" } });
  const sam = arm("sam", "SAM", settings.base, settings.seeds, samOverrides());
  const switches: Array<{ direction: SwitchDirection; fraction: number; arm: Arm }> = [];
  for (const direction of ["sam-to-erm", "erm-to-sam"] as const) {
    for (const fraction of direction === "sam-to-erm" ? settings.samToErm : settings.ermToSam) {
      const s = switchSettings(direction, fraction, epochs);
      const chosen = !s.sam ? erm : !s.epochWindow ? sam : arm(`${direction}-${fraction}`, `${LABELS[direction]} at ${Math.round(100 * fraction)}%`, settings.base, settings.seeds, samOverrides(s.epochWindow));
      switches.push({ direction, fraction, arm: chosen });
    }
  }
  return { erm, sam, switches };
}

/**
 * When SAM matters (SPEC-ADDENDUM F-d, probably the paper's Fig. 8): final test and train error when the
 * optimizer switches SAM -> ERM or ERM -> SAM after x% of the epochs (the same learning-rate schedule
 * throughout; only the perturbation is switched, momentum carries over).
 */
export async function reproduceSwitchTiming(profile: Profile): Promise<FigureOutput> {
  const started = performance.now();
  const experiment = loadExperiment(SWITCH_TIMING_ID, profile, settingsSchema);
  const settings = experiment.settings;
  const { erm, sam, switches } = switchArms(settings);
  const results = await runJobs(jobsOf([erm, sam, ...switches.map((s) => s.arm)]), profile, SWITCH_TIMING_ID);
  const finals = new Map<Arm, ArmFinals>();
  const finalOf = (a: Arm) => finals.get(a) ?? finals.set(a, armFinals(a, results)).get(a)!;

  const rows: Row[] = switches.flatMap((s) => finalErrorRows({ ...s.arm, label: LABELS[s.direction] }, finalOf(s.arm), { switchPercent: 100 * s.fraction }));
  const reference = experiment.reference as { cifar10?: Record<SwitchDirection, number[]> };
  const referenceRows: Row[] = [];
  for (const direction of ["sam-to-erm", "erm-to-sam"] as const) {
    (reference.cifar10?.[direction] ?? []).forEach((value, i) => referenceRows.push({ metric: "Test error", method: LABELS[direction], switchPercent: 10 * i, error: value }));
  }
  const spec = lineChart({
    title: "When SAM matters: switching between SAM and ERM after x% of the epochs",
    subtitle: `profile ${profile}; mean over seeds ${settings.seeds.join(", ")}, band = min..max; diamonds: the paper (ResNet-18, CIFAR-10)`,
    data: rows,
    referenceRows,
    x: { field: "switchPercent", title: "Switch after x% of the epochs" },
    y: { field: "error", title: "Error (%)" },
    color: { field: "method", title: "Method", domain: [LABELS["sam-to-erm"], LABELS["erm-to-sam"]], range: [CURVES.samToErm.color, CURVES.ermToSam.color] },
    band: { lower: "lower", upper: "upper" },
    facet: { field: "metric", columns: 2, independentY: true },
    points: true,
  });

  const at = (direction: SwitchDirection, fraction: number) => switches.find((s) => s.direction === direction && s.fraction === fraction)!.arm;
  const firstHalf = finalOf(at("sam-to-erm", settings.half));
  const secondHalf = finalOf(at("erm-to-sam", settings.half));
  const late = finalOf(at("erm-to-sam", settings.lateSwitch));
  const full = finalOf(sam);
  const context = `${scaleContext(settings.base, settings.seeds)}; SAM rho ${settings.sam.rho}${settings.sam.m ? `, m ${settings.sam.m}` : ""}`;
  const halfPercent = Math.round(100 * settings.half);
  const latePercent = Math.round(100 * settings.lateSwitch);
  const claims = [
    judgedClaim(experiment, "second-half-matters", {
      ourValue: `SAM only in the second half (ERM → SAM at ${halfPercent}%): ${describeErrors(secondHalf.testSummary)}; only in the first half (SAM → ERM at ${halfPercent}%): ${describeErrors(firstHalf.testSummary)}`,
      judgement: judgeErrors(experiment, "second-half-matters", [{ baseline: firstHalf.test, candidate: secondHalf.test }]),
      details: `Per-seed d = test error with SAM in the first half - with SAM in the second half. ${context}.`,
    }),
    judgedClaim(experiment, "late-switch-matches-sam", {
      ourValue: `ERM → SAM at ${latePercent}%: ${describeErrors(late.testSummary)}; SAM throughout: ${describeErrors(full.testSummary)}; ERM: ${describeErrors(finalOf(erm).testSummary)}`,
      judgement: judgeErrors(experiment, "late-switch-matches-sam", [{ baseline: full.test, candidate: late.test }]),
      details: `Per-seed d = SAM throughout - ERM → SAM at ${latePercent}% (test error). ${context}.`,
    }),
  ];
  const jobs = jobsOf([erm, sam, ...switches.map((s) => s.arm)]);
  return figureOutput(experiment, {
    setup: settings,
    scaledDown: `${context}; switch points SAM → ERM {${settings.samToErm.map((f) => `${100 * f}%`).join(", ")}}, ERM → SAM {${settings.ermToSam.map((f) => `${100 * f}%`).join(", ")}} (paper: every 10% of 200 epochs of ResNet-18 on CIFAR-10 and ResNet-34 on CIFAR-100). Estimated ${estimateMinutes(jobs)} min when no run exists.`,
    data: { rows, switches: switches.map((s) => ({ direction: s.direction, fraction: s.fraction, run: s.arm.key, ...finalOf(s.arm) })), erm: finalOf(erm), sam: full },
    spec,
    claims,
    started,
    results: results.values(),
  });
}

/** The estimate `estimatedMinutes` must equal (up to rounding), from a profile's settings. */
export function switchTimingJobs(settings: Settings): TrainJob[] {
  const { erm, sam, switches } = switchArms(settings);
  return jobsOf([erm, sam, ...switches.map((s) => s.arm)]);
}

export function estimateSwitchTiming(settings: Settings): number {
  return estimateMinutes(switchTimingJobs(settings));
}
export { settingsSchema as switchTimingSettingsSchema };
