/** The parity section of the report (reports/peer-parity/README.md) as text: pure, no I/O. */
import type { StepLossComparison, WelchTest } from "./compare.js";

export interface StepLossRow {
  method: string;
  seed: number;
  /** null while a curve is missing. */
  comparison: StepLossComparison | null;
  ours: number[] | null;
  torch32: number[] | null;
  torch64: number[] | null;
}

export interface FinalErrorRow {
  method: string;
  perSeed: Array<{
    seed: number;
    ours: { directory: string; testError: number; trainEvalError: number | null; wallSeconds: number } | null;
    torch: { testError: number; trainEvalError: number; trainError: number; seconds: number } | null;
  }>;
  test: WelchTest | null;
  /** Descriptive: mean of the same-seed differences ours - PyTorch with its two-sided 95% paired t interval (>= 2 pairs). */
  paired?: { n: number; mean: number; interval: [number, number] } | null;
  verdict: "agrees" | "differs" | "pending";
  /** Whether the 95% interval lies inside +-equivalenceMargin; null while pending. */
  equivalent: boolean | null;
}

/** The reference with one deliberate difference from our trainer, judged by the step-loss rule against the plain reference. */
export interface VariationRow {
  variation: string;
  method: string;
  seed: number;
  firstFailingStep: number | null;
  maxRelativeDifference: number;
  secondStep: number | null;
}

/** max / median over tensors of max|a - b| / max|b| after step 1. */
export interface StateSummary {
  max: number;
  median: number;
}
export interface StateRow {
  method: string;
  weights: { ours: StateSummary; rounding: StateSummary };
  statistics: { ours: StateSummary; rounding: StateSummary };
}

export interface ParityReport {
  rules: { stepLosses: { rule: string; why: string; steps: number }; finalErrors: { rule: string; withinSeedNoise: string; equivalenceMargin: number; equivalence: string } };
  stepLosses: StepLossRow[];
  variations: VariationRow[];
  stateAfterFirstStep?: StateRow[];
  finalErrors: FinalErrorRow[];
  commands: Record<string, string>;
}

const LABELS: Record<string, string> = { erm: "ERM", sam: "SAM (m = 128)", msam8: "8-SAM" };
const label = (method: string) => LABELS[method] ?? method;
const sci = (value: number) => (value === 0 ? "0" : value.toExponential(1));
const pct = (value: number | null | undefined) => (value === null || value === undefined ? "-" : `${(100 * value).toFixed(2)}%`);
const pp = (value: number) => `${value >= 0 ? "+" : ""}${(100 * value).toFixed(2)} pp`;

/** The steps shown in the per-step table (all are in parity.json). */
export const SHOWN_STEPS = [1, 2, 3, 4, 5, 10, 20, 30, 40, 50];

/** The markdown section: the rules, the 50-step comparison, the 30-epoch comparison over seeds, the commands. */
export function markdownSection(report: ParityReport): string {
  const lines: string[] = [
    "## Trainer parity with a PyTorch reference",
    "",
    "Our trainer against a reference trainer written for this project in PyTorch 1.13 (`tools/peer/train.py`), in the cpu " +
      "regime of the deep-net figures (PreAct ResNet with one block per stage, width 16, 5,000 training images without " +
      "augmentation, the full 10k test set, batch 128, 30 epochs, cosine lr 0.1, momentum 0.9, weight decay 5e-4 in the " +
      "objective). The reference starts from our exported initial weights and trains on our training subset in our batch " +
      "order (`tools/peer/export.ts`), so only the arithmetic differs. Rules: `tools/peer/parity.json`, fixed before the runs.",
    "",
    "### First 50 step losses (seed 0)",
    "",
    `**Rule.** ${report.rules.stepLosses.rule}`,
    "",
    `*Why this tolerance:* ${report.rules.stepLosses.why}`,
    "",
    "| Method | step 1 | max over 50 steps: ours vs PyTorch float32 | PyTorch float32 vs float64 (rounding drift) | first step over the limit | verdict |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const row of report.stepLosses) {
    const c = row.comparison;
    if (!c) {
      lines.push(`| ${label(row.method)} | - | - | - | - | pending |`);
      continue;
    }
    lines.push(
      `| ${label(row.method)} | ${sci(c.relativeDifference[0]!)} | ${sci(c.maxRelativeDifference)} | ${sci(Math.max(...c.roundingDrift))} | ${c.firstFailingStep ?? "none"} | ${c.agrees ? "agrees" : "**differs**"} |`,
    );
  }
  const available = report.stepLosses.filter((row) => row.comparison);
  if (available.length > 0) {
    lines.push(
      "",
      "Per step: relative difference ours vs PyTorch float32 (running maximum / its limit from the rounding drift).",
      "",
      `| Step | ${available.map((row) => label(row.method)).join(" | ")} |`,
      `| --- | ${available.map(() => "---").join(" | ")} |`,
    );
    for (const step of SHOWN_STEPS) {
      const cells = available.map((row) => {
        const c = row.comparison!;
        return step <= c.steps ? `${sci(c.relativeDifference[step - 1]!)} (${sci(c.runningMax[step - 1]!)} / ${sci(c.limit[step - 1]!)})` : "-";
      });
      lines.push(`| ${step} | ${cells.join(" | ")} |`);
    }
    lines.push(
      "",
      "Losses at step 1 and 50 (ours / PyTorch float32 / PyTorch float64): " +
        available.map((row) => `${label(row.method)} ${[row.ours!, row.torch32!, row.torch64!].map((l) => l[0]!.toFixed(6)).join(" / ")} and ${[row.ours!, row.torch32!, row.torch64!].map((l) => (l[49] ?? Number.NaN).toFixed(4)).join(" / ")}`).join("; ") +
        ".",
    );
  }

  if (report.variations.length > 0) {
    lines.push(
      "",
      "What the rule detects: the reference with one deliberate difference from our trainer (`train.py --variation`), in " +
        "place of ours, against the plain reference by the same rule.",
      "",
      "| Method | variation | step 2 | max over 50 steps | first step over the limit |",
      "| --- | --- | --- | --- | --- |",
      ...report.variations.map((v) => `| ${label(v.method)} | ${v.variation} | ${v.secondStep === null ? "-" : sci(v.secondStep)} | ${sci(v.maxRelativeDifference)} | ${v.firstFailingStep ?? "none (not detected)"} |`),
    );
    lines.push(
      "",
      "A difference the rule does not detect moves the first 50 losses by less than float32 rounding does (the trajectory " +
        "forgets it in the rounding noise); such differences can only show in the 30-epoch comparison below. The learning " +
        "rates are checked exactly instead: `train.py` computes every step's rate itself and stops if it differs from ours " +
        "by more than 1e-12.",
    );
  }

  const states = report.stateAfterFirstStep ?? [];
  if (states.length > 0) {
    lines.push(
      "",
      "### Weights and BatchNorm running statistics after step 1 (seed 0; descriptive, no verdict)",
      "",
      "The running statistics act only in evaluation, so the losses cannot show them; m-SAM updates them in every pass " +
        "(2 b/m = 32 updates per step for 8-SAM, interleaved sub-batch by sub-batch). Per tensor max|ours - PyTorch| / " +
        "max|PyTorch| after one step from the same weights (`tools/peer/state-after-steps.ts`), beside the same " +
        "measure between PyTorch in float32 and in float64 (rounding alone); max / median over the tensors.",
      "",
      "| Method | weights: ours vs PyTorch float32 | weights: PyTorch float32 vs float64 | running statistics: ours vs PyTorch float32 | running statistics: float32 vs float64 |",
      "| --- | --- | --- | --- | --- |",
      ...states.map((row) => `| ${label(row.method)} | ${sci(row.weights.ours.max)} / ${sci(row.weights.ours.median)} | ${sci(row.weights.rounding.max)} / ${sci(row.weights.rounding.median)} | ${sci(row.statistics.ours.max)} / ${sci(row.statistics.ours.median)} | ${sci(row.statistics.rounding.max)} / ${sci(row.statistics.rounding.median)} |`),
      "",
      "The largest weight differences are on BatchNorm shifts, whose first SAM update nearly cancels (a sum over the " +
        "batch of small terms) and is as sensitive to rounding in PyTorch alone.",
    );
  }

  lines.push("", "### Final test error after 30 epochs (seeds 0, 1, 2)", "", `**Rule.** ${report.rules.finalErrors.rule}`, "", `*Within seed noise:* ${report.rules.finalErrors.withinSeedNoise}`, "");
  lines.push("| Method | seed | ours: test (train) | PyTorch: test (train) | ours - PyTorch |", "| --- | --- | --- | --- | --- |");
  for (const row of report.finalErrors) {
    for (const seed of row.perSeed) {
      const difference = seed.ours && seed.torch ? pp(seed.ours.testError - seed.torch.testError) : "-";
      lines.push(
        `| ${label(row.method)} | ${seed.seed} | ${seed.ours ? `${pct(seed.ours.testError)} (${pct(seed.ours.trainEvalError)})` : "pending"} | ${seed.torch ? `${pct(seed.torch.testError)} (${pct(seed.torch.trainEvalError)})` : "pending"} | ${difference} |`,
      );
    }
  }
  lines.push("", "| Method | ours: mean | PyTorch: mean | difference [95% CI] | Welch t (df), p | verdict | CI within +-2 pp |", "| --- | --- | --- | --- | --- | --- | --- |");
  for (const row of report.finalErrors) {
    const t = row.test;
    if (!t) {
      const have = `${row.perSeed.filter((s) => s.ours).length} of ours, ${row.perSeed.filter((s) => s.torch).length} of PyTorch's`;
      lines.push(`| ${label(row.method)} | - | - | - | - | pending (${have} seeds done) | - |`);
      continue;
    }
    lines.push(
      `| ${label(row.method)} | ${pct(t.meanA)} | ${pct(t.meanB)} | ${pp(t.difference)} [${pp(t.interval[0])}, ${pp(t.interval[1])}] | ${t.t.toFixed(2)} (${t.df}), ${t.pValue.toFixed(3)} | ${t.rejects ? "**differs**" : "agrees"} | ${row.equivalent ? "yes" : "no"} |`,
    );
  }
  const paired = report.finalErrors.filter((row) => row.paired);
  if (paired.length > 0) {
    lines.push(
      "",
      "Same-seed pairs (descriptive, not the verdict; a seed fixes the subset, initial weights and batch order on both sides), " +
        "mean of ours - PyTorch [95% paired t interval]: " +
        paired.map((row) => `${label(row.method)} ${pp(row.paired!.mean)} [${pp(row.paired!.interval[0])}, ${pp(row.paired!.interval[1])}] over ${row.paired!.n} seeds`).join("; ") +
        ".",
    );
  }
  const erm = report.finalErrors.find((row) => row.method === "erm")?.test;
  const msam = report.finalErrors.find((row) => row.method === "msam8")?.test;
  if (erm && msam) {
    lines.push("", `The m-sharpness effect (ERM - 8-SAM mean test error): ours ${pp(erm.meanA - msam.meanA)}, PyTorch ${pp(erm.meanB - msam.meanB)}.`);
  }
  lines.push("", `*Equivalence (reported, not the verdict):* ${report.rules.finalErrors.equivalence}`, "", "Commands:", "");
  for (const [name, command] of Object.entries(report.commands)) lines.push(`- ${name}: \`${command}\``);
  return `${lines.join("\n")}\n`;
}
