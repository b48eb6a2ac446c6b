/**
 * The regime of the parity check (issue 12 part 1): the cpu profile's deep-net base config and the three
 * methods compared with the PyTorch reference. Pure (no I/O).
 */
import { trainConfigSchema, type TrainConfig, type TrainConfigInput } from "../../packages/deep-nets/src/training/config.js";

/** `sam-repro train --model resnet_tiny --width 16 --train-size 5000 --test-size 10000 --no-augment --epochs 30 --batch-size 128 --lr 0.1 --schedule cosine --weight-decay 5e-4 --eval-every 5`, plus evalTrainSize 1000 as the coordinator's runs. */
export const PARITY_BASE: TrainConfigInput = {
  model: "resnet_tiny",
  width: 16,
  trainSize: 5000,
  testSize: 10000,
  augment: false,
  epochs: 30,
  batchSize: 128,
  learningRate: 0.1,
  schedule: "cosine",
  weightDecay: 5e-4,
  evalEvery: 5,
  evalTrainSize: 1000,
};

/** The compared methods: ERM, SAM with m = batch (128) and 8-SAM, both at rho = 0.1. */
export const PARITY_METHODS = {
  erm: { variant: "sgd" },
  sam: { variant: "sam", rho: 0.1 },
  msam8: { variant: "sam", rho: 0.1, m: 8 },
} as const satisfies Record<string, TrainConfigInput["sam"]>;
export type ParityMethod = keyof typeof PARITY_METHODS;
export const PARITY_METHOD_NAMES = Object.keys(PARITY_METHODS) as ParityMethod[];

/** The full train config of one method and seed (schema defaults filled in, as the trainer sees it). */
export function parityConfig(method: ParityMethod, seed: number, overrides: Partial<TrainConfigInput> = {}): TrainConfig {
  return trainConfigSchema.parse({ ...PARITY_BASE, ...overrides, sam: { ...PARITY_METHODS[method] }, seed });
}

/** The method named by a string, or an error naming the allowed ones. */
export function parseMethod(value: string, source: string): ParityMethod {
  if (!(PARITY_METHOD_NAMES as string[]).includes(value)) throw new Error(`${source}: unknown method "${value}"; allowed: ${PARITY_METHOD_NAMES.join(", ")}`);
  return value as ParityMethod;
}
