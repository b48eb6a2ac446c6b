/**
 * Exports what the PyTorch reference (tools/peer/train.py) needs to train exactly as our trainer does, for one seed:
 *   node --conditions=@sam-repro/source --import tsx tools/peer/export.ts --seed 0 --out DIR [--record erm,sam,msam8] [--steps 50]
 * DIR/manifest.json (config, tensor layout, input normalization, learning rates), DIR/weights/<torch name>.f32
 * (initial weights and BatchNorm statistics as our ResNet initializes them, already in PyTorch's layout),
 * DIR/{train,test}-{images.u8,labels.i32} (NHWC uint8 pixels of the subset), DIR/train-indices.i32 and
 * DIR/test-indices.i32 (into CIFAR-10's files), DIR/batch-order.i32 (epochs x trainSize: our shuffle, one
 * permutation per epoch; step i of an epoch takes entries [i b, (i + 1) b)), DIR/eval-train-indices.i32 (the
 * training points of the final train-error evaluation), and for each --record method DIR/ours-<method>.json:
 * our trainer's own losses of the first --steps steps (trainRun on the native backend, per step).
 * Files are written to DIR.tmp and renamed at the end, so a failed export leaves nothing half-written.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { InputError } from "@sam-repro/runner";
import { SeededRandom, describeBackend, initBackend } from "@sam-repro/runtime";
import { loadCifar } from "../../packages/deep-nets/src/data/cifar-files.js";
import { splitTrainValidation } from "../../packages/deep-nets/src/data/split.js";
import { ResNet } from "../../packages/deep-nets/src/models/resnet.js";
import { configHash, type TrainConfig } from "../../packages/deep-nets/src/training/config.js";
import { epochSeed, prepareData } from "../../packages/deep-nets/src/training/prepared-data.js";
import { fractionalEpoch, learningRateAt } from "../../packages/deep-nets/src/training/schedule.js";
import { modelConfigOf, trainRun } from "../../packages/deep-nets/src/training/trainer.js";
import { PARITY_METHOD_NAMES, parityConfig, parseMethod, type ParityMethod } from "./regime.js";
import { permuteAxes, tensorMappings } from "./layout.js";
import { stepLossesFromRunningMeans } from "./compare.js";

function integer(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) throw new InputError(`--${name}: "${value}" is not an integer >= ${min}`);
  return parsed;
}

function writeBinary(file: string, values: Int32Array | Float32Array | Uint8Array): void {
  writeFileSync(file, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
}

/** Our trainer's per-step training losses (data loss at w, as trainRun reports it) of its first `steps` steps. */
async function ourStepLosses(config: TrainConfig, steps: number, scratch: string, data: ReturnType<typeof loadCifar>): Promise<number[]> {
  rmSync(scratch, { recursive: true, force: true });
  const stepsPerEpoch = Math.floor(config.trainSize! / config.batchSize);
  const means: number[] = [];
  await trainRun(config, {
    directory: scratch,
    data,
    progress: false,
    stopAfterEpochs: Math.ceil(steps / stepsPerEpoch),
    onStep: (info) => means.push(info.loss),
  });
  rmSync(scratch, { recursive: true, force: true });
  return stepLossesFromRunningMeans(means, stepsPerEpoch).slice(0, steps);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seed: { type: "string" }, out: { type: "string" }, record: { type: "string" }, steps: { type: "string" }, "data-dir": { type: "string" } },
  });
  const seed = integer("seed", values.seed, 0, 0);
  if (!values.out) throw new InputError("--out: required (the export directory)");
  const out = path.resolve(values.out);
  const steps = integer("steps", values.steps, 50, 1);
  const record: ParityMethod[] = values.record ? values.record.split(",").map((name) => parseMethod(name.trim(), "--record")) : [];
  const info = await initBackend();
  const config = parityConfig("erm", seed);
  const cifar = loadCifar("cifar10", values["data-dir"] ? { dataDirectory: values["data-dir"] } : {});

  const staging = `${out}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(path.join(staging, "weights"), { recursive: true });

  // The data exactly as prepareData selects it (the 45k/5k split by seed, then the subset).
  const data = prepareData(config, cifar);
  const split = splitTrainValidation(cifar.train.count, seed, config.validationSize, config.trainSize);
  const testIndices = Int32Array.from({ length: data.test.count }, (_, i) => i);
  writeBinary(path.join(staging, "train-indices.i32"), split.train);
  writeBinary(path.join(staging, "test-indices.i32"), testIndices);
  writeBinary(path.join(staging, "train-images.u8"), data.train.images);
  writeBinary(path.join(staging, "train-labels.i32"), data.train.labels);
  writeBinary(path.join(staging, "test-images.u8"), data.test.images);
  writeBinary(path.join(staging, "test-labels.i32"), data.test.labels);

  // Batch order and learning rate of every step, as trainRun computes them.
  const stepsPerEpoch = Math.floor(data.train.count / config.batchSize);
  const order = new Int32Array(config.epochs * data.train.count);
  const learningRates: number[] = [];
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    order.set(new SeededRandom(epochSeed(seed, epoch, "shuffle")).permutation(data.train.count), epoch * data.train.count);
    for (let i = 0; i < stepsPerEpoch; i++) learningRates.push(learningRateAt(config.schedule, config.learningRate, fractionalEpoch(epoch, i, stepsPerEpoch), config.epochs));
  }
  writeBinary(path.join(staging, "batch-order.i32"), order);
  // The final evaluation's training points (evaluationRecord: the "evaluation" stream of the last epoch).
  const evalTrain = new SeededRandom(epochSeed(seed, config.epochs, "evaluation")).permutation(data.train.count).slice(0, config.evalTrainSize);
  writeBinary(path.join(staging, "eval-train-indices.i32"), evalTrain);

  // Initial weights: the same constructor trainRun uses (ResNet(modelConfig, seed)), in PyTorch's layout.
  const model = new ResNet(modelConfigOf(config, data.classes), seed);
  const weights = model.readWeights();
  const tensors = tensorMappings(model.spec.parameters, model.spec.statistics);
  const arrays = [...weights.parameters, ...weights.statistics];
  tensors.forEach((mapping, i) => writeBinary(path.join(staging, "weights", `${mapping.torchName}.f32`), permuteAxes(arrays[i]!, mapping.shape, mapping.permutation)));
  model.dispose();

  const manifest = {
    format: "sam-repro/peer-export@1",
    seed,
    backend: describeBackend(info),
    config,
    methods: Object.fromEntries(PARITY_METHOD_NAMES.map((method) => {
      const methodConfig = parityConfig(method, seed);
      return [method, { sam: methodConfig.sam, hash: configHash(methodConfig, tf.getBackend()) }];
    })),
    trainCount: data.train.count,
    testCount: data.test.count,
    classes: data.classes,
    stepsPerEpoch,
    // x = pixel * (1/255) in float32, NHWC; no mean/std normalization (toUnitFloats).
    inputs: { layout: "NHWC uint8", scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
    batchNorm: { momentum: 0.1, epsilon: 1e-5, runningVariance: "unbiased" },
    tensors,
    learningRates,
  };
  writeFileSync(path.join(staging, "manifest.json"), JSON.stringify(manifest, null, 1));

  for (const method of record) {
    const methodConfig = parityConfig(method, seed);
    const started = performance.now();
    const losses = await ourStepLosses(methodConfig, steps, path.join(path.dirname(out), `.peer-scratch-${method}-s${seed}`), cifar);
    const seconds = (performance.now() - started) / 1000;
    writeFileSync(path.join(staging, `ours-${method}.json`), JSON.stringify({ method, seed, hash: configHash(methodConfig, tf.getBackend()), backend: describeBackend(info), steps, losses, seconds }, null, 1));
    process.stderr.write(`ours ${method} seed ${seed}: ${steps} step losses in ${seconds.toFixed(0)} s\n`);
  }

  if (existsSync(out)) rmSync(out, { recursive: true, force: true });
  renameSync(staging, out);
  process.stdout.write(`exported seed ${seed} to ${out}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof InputError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
});
