import { SeededRandom } from "@sam-repro/runtime";

export type LabelNoiseType = "symmetric" | "asymmetric";

export interface NoisyLabels {
  labels: Int32Array;
  /** 1 where the label was changed. */
  isNoisy: Uint8Array;
  noisyCount: number;
}

/** CIFAR-10 class-dependent flips of the official code (SPEC 4.1): truck->automobile, bird->airplane, cat<->dog, deer->horse. */
const CIFAR10_ASYMMETRIC: Readonly<Record<number, number>> = { 9: 1, 2: 0, 3: 5, 5: 3, 4: 7 };

/** The label the asymmetric noise maps `label` to (CIFAR-10 map above; otherwise the next class, (y + 1) mod C). */
export function asymmetricTarget(label: number, classes: number): number {
  if (classes === 10) return CIFAR10_ASYMMETRIC[label] ?? label;
  return (label + 1) % classes;
}

/**
 * Label noise (SPEC 3.9, 4.1). Exactly floor(fraction * n) positions, chosen uniformly by a seeded
 * permutation, are corrupted:
 * - symmetric: the label becomes a uniformly random *different* class, y' = (y + 1 + U{0..C-2}) mod C;
 * - asymmetric: the label becomes asymmetricTarget(y); classes without a target keep their label, so
 *   on CIFAR-10 fewer than floor(fraction * n) labels actually change (isNoisy marks those that do).
 */
export function applyLabelNoise(
  labels: Int32Array,
  classes: number,
  fraction: number,
  type: LabelNoiseType,
  seed: number,
): NoisyLabels {
  if (!(fraction >= 0 && fraction <= 1)) throw new Error(`label noise fraction ${fraction} is outside [0, 1]`);
  if (classes < 2) throw new Error(`label noise needs at least 2 classes, got ${classes}`);
  const random = new SeededRandom(seed * 104729 + 17);
  const count = Math.floor(fraction * labels.length);
  const chosen = random.permutation(labels.length).subarray(0, count);
  const noisy = labels.slice();
  const isNoisy = new Uint8Array(labels.length);
  let noisyCount = 0;
  for (const index of chosen) {
    const label = labels[index]!;
    const target = type === "symmetric" ? (label + 1 + random.integer(classes - 1)) % classes : asymmetricTarget(label, classes);
    noisy[index] = target;
    if (target !== label) {
      isNoisy[index] = 1;
      noisyCount++;
    }
  }
  return { labels: noisy, isNoisy, noisyCount };
}
