/**
 * The verdict rules a claim can declare (`claims[].rule` in experiments/<id>.json, copied into claims.json),
 * and how each turns measurements into "holds" / "does not hold" / "inconclusive".
 *
 * Statistical rules compare two methods seed by seed (paired: the runs of one seed share data and
 * initialization) with one-sided Student-t bounds at level 1 - alpha (see paired.ts):
 * - `paired-t-improves`: holds when the lower bound of the mean gain is > 0 (the one-sided paired t-test rejects
 *   "no improvement"); does not hold when the upper bound is < margin (any gain is smaller than the margin).
 * - `paired-t-no-gain`: holds when the upper bound of the gain is < margin; does not hold when the lower bound
 *   is > margin (a gain larger than the margin, significantly).
 * - `paired-tost-equivalent`: holds when -margin < lower and upper < margin (TOST); does not hold when the whole
 *   interval lies beyond one side of the margin (lower > margin or upper < -margin).
 * Anything else is "inconclusive"; so is a comparison with fewer than 2 seeds. When a claim is checked at several
 * radii, `radius` fixes in advance the one that counts, or "holm" tests all of them with Holm's correction (the
 * existence side: "at some radius"; the universal side, "at no radius", needs every radius at level alpha).
 * Deterministic (single-run, theory) claims use `threshold` (a named quantity compared with a declared value);
 * claims over many random problems use `fraction-of-draws`.
 */
import { z } from "zod";
import { InputError } from "../errors.js";
import { holmRejections, oneSidedPValue, pairedStatistics, tostPValue, type PairedStatistics } from "./paired.js";

/** Outcome of checking one claim. */
export type Verdict = "holds" | "does not hold" | "inconclusive" | "not run";
export const VERDICTS: readonly Verdict[] = ["holds", "does not hold", "inconclusive", "not run"];

const alpha = z.number().gt(0).lt(0.5);
const radius = z.union([z.number().positive(), z.literal("holm")]).optional();

/** A claim's verdict rule with its parameters, fixed in the config before any run. */
export const claimRuleSchema = z.discriminatedUnion("id", [
  z.strictObject({ id: z.literal("paired-t-improves"), alpha, margin: z.number().min(0), radius }),
  z.strictObject({ id: z.literal("paired-t-no-gain"), alpha, margin: z.number().positive(), radius }),
  z.strictObject({ id: z.literal("paired-tost-equivalent"), alpha, margin: z.number().positive() }),
  z.strictObject({
    id: z.literal("threshold"),
    /** What is measured, in words (e.g. "max over seeds of the final train error"). */
    quantity: z.string().min(1),
    /** "within": value is a closed band [low, high]. */
    comparison: z.enum(["<", "<=", ">", ">=", "within"]),
    /** The bound (a number, or [low, high] for "within"), or the name of a profile setting that holds it. */
    value: z.union([z.number(), z.tuple([z.number(), z.number()]), z.strictObject({ setting: z.string().min(1) })]),
  }).refine((rule) => (rule.comparison === "within") === Array.isArray(rule.value) || (typeof rule.value === "object" && !Array.isArray(rule.value)), {
    message: 'a band [low, high] goes with comparison "within", a number with the others',
    path: ["value"],
  }),
  z.strictObject({
    id: z.literal("fraction-of-draws"),
    /** The per-draw event, in words. */
    quantity: z.string().min(1),
    draws: z.number().int().min(20),
    /** holds when the event occurs on at least this fraction of the draws */
    holdsAtLeast: z.number().gt(0).max(1),
    /** does not hold when it occurs on fewer than this fraction (between the two: inconclusive) */
    failsBelow: z.number().min(0).max(1),
  }).refine((rule) => rule.failsBelow <= rule.holdsAtLeast, { message: "failsBelow must not exceed holdsAtLeast", path: ["failsBelow"] }),
]);
export type ClaimRule = z.infer<typeof claimRuleSchema>;
export type PairedRule = Extract<ClaimRule, { id: "paired-t-improves" | "paired-t-no-gain" | "paired-tost-equivalent" }>;
export type ThresholdRule = Extract<ClaimRule, { id: "threshold" }>;
export type FractionRule = Extract<ClaimRule, { id: "fraction-of-draws" }>;

/** A verdict with the rule that produced it and the numbers behind it, in words. */
export interface Judgement {
  verdict: Verdict;
  rule: ClaimRule;
  /** e.g. "mean gain +0.80 pp, 95% one-sided bounds [+0.31, +1.29] (t crit 2.920, 3 seeds): lower > 0" */
  text: string;
}

/** One paired comparison: the per-seed differences d_s (positive = the claimed direction), at a radius if any. */
export interface PairedComparison {
  radius?: number;
  /** How the comparison is named in the verdict text (default "rho <radius>"). */
  label?: string;
  differences: readonly number[];
}

const plain = (value: number) => (Number.isFinite(value) ? Number(value.toPrecision(3)).toString() : String(value));

function describeBounds(stats: PairedStatistics, format: (value: number) => string): string {
  if (stats.n < 2) return `${stats.n} seed${stats.n === 1 ? "" : "s"}: no variance estimate`;
  const level = Math.round((1 - stats.alpha) * 1000) / 10;
  return `mean ${format(stats.mean)}, ${level}% one-sided bounds [${format(stats.lower)}, ${format(stats.upper)}] (t_{${1 - stats.alpha},${stats.n - 1}} = ${stats.critical.toFixed(3)}, ${stats.n} seeds)`;
}

/**
 * Judges a paired rule on one comparison, or on several radii: with `rule.radius` a number only the comparison at
 * that radius counts (an error if it is missing); with "holm" every comparison is tested and the existence side
 * ("improves at some radius", "gain beyond the margin at some radius") is Holm-corrected. `format` prints values.
 */
export function judgePaired(rule: PairedRule, comparisons: readonly PairedComparison[], format: (value: number) => string = plain): Judgement {
  let selected = [...comparisons];
  const radiusRule = "radius" in rule ? rule.radius : undefined;
  if (typeof radiusRule === "number") {
    selected = comparisons.filter((comparison) => comparison.radius === radiusRule);
    if (selected.length !== 1) throw new InputError(`rule ${rule.id}: radius ${radiusRule} fixed in the config, but the comparisons ran at ${comparisons.map((c) => c.radius).join(", ") || "no radius"}`);
  } else if (radiusRule === undefined && selected.length !== 1) {
    throw new InputError(`rule ${rule.id}: ${selected.length} comparisons given; declare "radius": <value> or "holm" in the rule`);
  }
  if (selected.length === 0) return { verdict: "not run", rule, text: "no comparison ran" };
  const stats = selected.map((comparison) => pairedStatistics(comparison.differences, rule.alpha));
  const labels = selected.map((comparison) => (comparison.label !== undefined ? `${comparison.label}: ` : comparison.radius === undefined ? "" : `rho ${comparison.radius}: `));
  const lines = stats.map((s, i) => `${labels[i]}${describeBounds(s, format)}`);
  if (stats.some((s) => s.n < 2)) return { verdict: "inconclusive", rule, text: `${lines.join("; ")}. Fewer than 2 paired seeds somewhere: inconclusive.` };
  // Holm over the one-sided tests of H0: mean <= shift at every selected radius.
  const holm = (shift: number) => holmRejections(stats.map((s) => oneSidedPValue(s, shift)), rule.alpha);
  const many = selected.length > 1;
  let verdict: Verdict;
  let reason: string;
  if (rule.id === "paired-t-improves") {
    const improves = many ? holm(0).some(Boolean) : stats[0]!.lower > 0;
    const belowMargin = stats.every((s) => s.upper < rule.margin);
    verdict = improves ? "holds" : belowMargin ? "does not hold" : "inconclusive";
    reason = improves ? `lower bound > 0${many ? " at some radius after Holm's correction" : ""}` : belowMargin ? `upper bound < margin ${format(rule.margin)}${many ? " at every radius" : ""}` : `neither lower > 0 nor upper < margin ${format(rule.margin)}`;
  } else if (rule.id === "paired-t-no-gain") {
    const noGain = stats.every((s) => s.upper < rule.margin);
    const gain = many ? holm(rule.margin).some(Boolean) : stats[0]!.lower > rule.margin;
    verdict = noGain ? "holds" : gain ? "does not hold" : "inconclusive";
    reason = noGain ? `upper bound < margin ${format(rule.margin)}${many ? " at every radius" : ""}` : gain ? `lower bound > margin ${format(rule.margin)}${many ? " at some radius after Holm's correction" : ""}` : `neither upper < margin nor lower > margin (${format(rule.margin)})`;
  } else {
    const s = stats[0]!;
    const tost = tostPValue(s, rule.margin);
    const equivalent = s.lower > -rule.margin && s.upper < rule.margin;
    const different = s.lower > rule.margin || s.upper < -rule.margin;
    verdict = equivalent ? "holds" : different ? "does not hold" : "inconclusive";
    reason = `${equivalent ? "both bounds inside" : different ? "both bounds outside one side of" : "bounds not decided against"} +-${format(rule.margin)} (TOST p = ${plain(tost)})`;
  }
  return { verdict, rule, text: `${lines.join("; ")}: ${reason}.` };
}

const COMPARE: Record<ThresholdRule["comparison"], (a: number, b: number | readonly number[]) => boolean> = {
  "<": (a, b) => a < (b as number),
  "<=": (a, b) => a <= (b as number),
  ">": (a, b) => a > (b as number),
  ">=": (a, b) => a >= (b as number),
  within: (a, b) => a >= (b as readonly number[])[0]! && a <= (b as readonly number[])[1]!,
};

/** The bound of a threshold rule: its number or band, or the named setting of the profile that ran. */
export function thresholdValue(rule: ThresholdRule, settings: Record<string, unknown> = {}): number | [number, number] {
  if (typeof rule.value === "number" || Array.isArray(rule.value)) return rule.value as number | [number, number];
  // A dotted name reaches into nested settings ("criteria.fittedNoisyError").
  const value = rule.value.setting.split(".").reduce<unknown>((object, key) => (object && typeof object === "object" ? (object as Record<string, unknown>)[key] : undefined), settings);
  const band = Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === "number");
  if (rule.comparison === "within" ? !band : typeof value !== "number") {
    throw new InputError(`rule threshold: setting "${rule.value.setting}" is not ${rule.comparison === "within" ? "a band [low, high]" : "a number"} in the profile (got ${JSON.stringify(value)})`);
  }
  return value as number | [number, number];
}

/** Judges a deterministic claim: holds when `measured` <comparison> bound; NaN (e.g. a diverged run) does not hold. */
export function judgeThreshold(rule: ThresholdRule, measured: number, settings: Record<string, unknown> = {}, format: (value: number) => string = plain): Judgement {
  const bound = thresholdValue(rule, settings);
  const holds = !Number.isNaN(measured) && COMPARE[rule.comparison](measured, bound);
  const boundText = Array.isArray(bound) ? `[${format(bound[0])}, ${format(bound[1])}]` : format(bound);
  return { verdict: holds ? "holds" : "does not hold", rule, text: `${rule.quantity} = ${format(measured)} ${holds ? "" : "not "}${rule.comparison} ${boundText}.` };
}

/** Judges a claim over random problems from whether it held on each draw (see FractionRule). */
export function judgeFraction(rule: FractionRule, heldPerDraw: readonly boolean[]): Judgement {
  const count = heldPerDraw.filter(Boolean).length;
  const fraction = heldPerDraw.length ? count / heldPerDraw.length : Number.NaN;
  if (heldPerDraw.length < rule.draws) {
    return { verdict: "inconclusive", rule, text: `${rule.quantity}: only ${heldPerDraw.length} of the declared ${rule.draws} draws ran.` };
  }
  const verdict: Verdict = fraction >= rule.holdsAtLeast ? "holds" : fraction < rule.failsBelow ? "does not hold" : "inconclusive";
  return { verdict, rule, text: `${rule.quantity} on ${count} of ${heldPerDraw.length} draws (${(100 * fraction).toFixed(0)}%; holds at >= ${100 * rule.holdsAtLeast}%, does not hold below ${100 * rule.failsBelow}%).` };
}

/**
 * One claim checked in several parts (panels, methods) by the same rule: it holds when every part that ran holds,
 * does not hold when some part does not, is inconclusive otherwise, and "not run" when no part ran.
 */
export function judgeAll(rule: ClaimRule, parts: ReadonlyArray<{ label: string; judgement: Judgement }>): Judgement {
  const ran = parts.filter((part) => part.judgement.verdict !== "not run");
  const verdict: Verdict = ran.length === 0 ? "not run" : ran.some((p) => p.judgement.verdict === "does not hold") ? "does not hold" : ran.every((p) => p.judgement.verdict === "holds") ? "holds" : "inconclusive";
  return { verdict, rule, text: parts.map((part) => `${part.label}: ${part.judgement.verdict} (${part.judgement.text.replace(/\.$/, "")})`).join(" | ") + ". The claim holds when every part holds." };
}

/** The rule in words, for the report. */
export function describeRule(rule: ClaimRule): string {
  switch (rule.id) {
    case "paired-t-improves":
    case "paired-t-no-gain":
    case "paired-tost-equivalent": {
      const radiusText = "radius" in rule && rule.radius !== undefined ? (rule.radius === "holm" ? ", all radii with Holm's correction" : `, at rho = ${rule.radius} fixed in advance`) : "";
      return `${rule.id} (paired over seeds, alpha ${rule.alpha}, margin ${rule.margin}${radiusText})`;
    }
    case "threshold":
      return `threshold: ${rule.quantity} ${rule.comparison} ${typeof rule.value === "number" ? rule.value : Array.isArray(rule.value) ? `[${rule.value.join(", ")}]` : `the profile's ${rule.value.setting}`}`;
    case "fraction-of-draws":
      return `fraction of ${rule.draws}+ data draws on which ${rule.quantity}: holds at >= ${rule.holdsAtLeast}, does not hold below ${rule.failsBelow}`;
  }
}
