/**
 * Claim results stamped with the rule their config declares: every figure builds its claims.json entries here, so
 * a verdict can only come from the declared rule (the agreement test checks configs against claims.json).
 */
import { InputError } from "../errors.js";
import type { ClaimSpec, ExperimentConfig } from "../config.js";
import type { Profile } from "../profiles.js";
import type { ClaimRule, Judgement, Verdict } from "./rules.js";

/** One entry of claims.json (the same shape as @sam-repro/figures' ClaimResult). */
export interface JudgedClaim {
  id: string;
  statement: string;
  paperValue: string | number | null;
  ourValue: string | number | null;
  verdict: Verdict;
  profile: Profile;
  /** The rule as declared in the config (absent only for configs that declare none). */
  rule?: ClaimRule;
  /** "ours" when the config marks the claim as our own derivation, not the paper's. */
  derivation?: "paper" | "ours";
  details?: string;
}

function specOf(config: ExperimentConfig<unknown>, id: string): ClaimSpec {
  const spec = config.claims.find((claim) => claim.id === id);
  if (!spec) throw new InputError(`${config.file}: claims: no claim with id "${id}" (declared: ${config.claims.map((claim) => claim.id).join(", ")})`);
  return spec;
}

/** The rule the config declares for claim `id`, narrowed to the rule ids the code can apply. */
export function declaredRule<Id extends ClaimRule["id"]>(config: ExperimentConfig<unknown>, id: string, allowed: readonly Id[]): Extract<ClaimRule, { id: Id }> {
  const rule = specOf(config, id).rule;
  if (!rule) throw new InputError(`${config.file}: claims.${id}.rule: missing; allowed rule ids here: ${allowed.join(", ")}`);
  if (!(allowed as readonly string[]).includes(rule.id)) {
    throw new InputError(`${config.file}: claims.${id}.rule.id: "${rule.id}" cannot judge this claim; allowed: ${allowed.join(", ")}`);
  }
  return rule as Extract<ClaimRule, { id: Id }>;
}

/**
 * The claims.json entry of claim `id`: statement and paper value from the config, the verdict from `judgement`
 * (whose rule must be the declared one), details followed by the rule's numbers.
 */
export function judgedClaim(
  config: ExperimentConfig<unknown>,
  id: string,
  outcome: { ourValue: string | number | null; judgement: Judgement; details?: string },
): JudgedClaim {
  const spec = specOf(config, id);
  if (spec.rule && JSON.stringify(spec.rule) !== JSON.stringify(outcome.judgement.rule)) {
    throw new Error(`claim ${id}: judged by ${JSON.stringify(outcome.judgement.rule)} but the config declares ${JSON.stringify(spec.rule)}`);
  }
  const details = [outcome.details, `Rule: ${outcome.judgement.text}`].filter(Boolean).join(" ");
  return {
    id,
    statement: spec.statement,
    paperValue: spec.paperValue,
    ourValue: outcome.ourValue,
    verdict: outcome.judgement.verdict,
    profile: config.profile,
    ...(spec.rule ? { rule: spec.rule } : {}),
    ...(spec.derivation ? { derivation: spec.derivation } : {}),
    details,
  };
}

/** A claim that could not be judged (e.g. CIFAR-10 missing): verdict "not run" with the reason, rule kept. */
export function notRunClaim(config: ExperimentConfig<unknown>, id: string, reason: string): JudgedClaim {
  const spec = specOf(config, id);
  return { id, statement: spec.statement, paperValue: spec.paperValue, ourValue: null, verdict: "not run", profile: config.profile, ...(spec.rule ? { rule: spec.rule } : {}), ...(spec.derivation ? { derivation: spec.derivation } : {}), details: reason };
}
