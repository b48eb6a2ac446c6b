import { SeededRandom } from "@sam-repro/runtime";

/** Validation images held out of CIFAR's 50,000 training images (SPEC 3.1: 10%, i.e. 45k / 5k). */
export const DEFAULT_VALIDATION_SIZE = 5_000;

export interface TrainValidationSplit {
  train: Int32Array;
  validation: Int32Array;
}

/**
 * Splits indices 0..count-1 into training and validation sets by a permutation seeded with `seed`
 * (SPEC 3.1 / 4.3: the official code permutes with the run seed and holds out 10%). The first
 * `validationSize` entries of the permutation are the validation set; `trainSize` (default: all the
 * rest) entries after them are the training set, so a smaller training subset is a random subset
 * and is disjoint from the validation set. Same seed, same split.
 */
export function splitTrainValidation(
  count: number,
  seed: number,
  validationSize = DEFAULT_VALIDATION_SIZE,
  trainSize?: number,
): TrainValidationSplit {
  if (validationSize < 0 || validationSize > count) throw new Error(`validationSize ${validationSize} is outside 0..${count}`);
  const available = count - validationSize;
  const size = trainSize ?? available;
  if (size < 1 || size > available) throw new Error(`trainSize ${size} is outside 1..${available}`);
  // A fixed offset keeps the split stream apart from the other streams seeded with the run seed.
  const order = new SeededRandom(seed * 7919 + 101).permutation(count);
  return {
    validation: order.slice(0, validationSize),
    train: order.slice(validationSize, validationSize + size),
  };
}
