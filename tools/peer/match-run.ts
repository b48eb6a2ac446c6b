/** Which stored runs are the parity config's runs (pure). */
import { isDeepStrictEqual } from "node:util";
import type { TrainConfig } from "../../packages/deep-nets/src/training/config.js";

/** Fields that change only what is measured, not how the weights are trained (an evaluation before step 1). */
export const EVALUATION_ONLY_FIELDS = ["evaluateAtStart"] as const;

/** Whether a stored run's config equals `expected` in every field but EVALUATION_ONLY_FIELDS. */
export function matchesParityConfig(config: Record<string, unknown>, expected: TrainConfig): boolean {
  const strip = (value: Record<string, unknown>) => Object.fromEntries(Object.entries(value).filter(([key, v]) => v !== undefined && !(EVALUATION_ONLY_FIELDS as readonly string[]).includes(key)));
  return isDeepStrictEqual(strip(config), strip(expected as unknown as Record<string, unknown>));
}
