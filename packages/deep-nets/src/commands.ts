import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { readFileSync, existsSync } from "node:fs";
import { Option, type Command } from "commander";
import { InputError, acquireDirectoryLock, checkOutputLocation, createProgress, dataDirSetting, defaultDataDirectories, validate } from "@sam-repro/runner";
import { describeBackend, initBackend } from "@sam-repro/runtime";
import { DATASET_NAMES, type DatasetName } from "./data/cifar-format.js";
import { DATA_DIR_ENV_VAR, loadCifar } from "./data/cifar-files.js";
import { downloadCifar } from "./data/download.js";
import { MODEL_NAMES } from "./models/architecture.js";
import { ResNet } from "./models/resnet.js";
import { checkTrainConfig, configHash, sharpnessSettingsSchema, trainConfigSchema } from "./training/config.js";
import { epochSeed, prepareData } from "./training/prepared-data.js";
import { readWeightsFile, resolveCheckpoint, runsDirectory, storedRunHash } from "./training/run-store.js";
import { measureSharpness } from "./training/sharpness.js";
import { modelConfigOf, trainRun } from "./training/trainer.js";
import { SeededRandom } from "@sam-repro/runtime";

interface TrainFlags {
  config?: string;
  model?: string;
  width?: string;
  dataset?: string;
  sam?: string;
  rho?: string;
  m?: string;
  ascentBatch?: string;
  randomSigma?: string;
  epochs?: string;
  batchSize?: string;
  lr?: string;
  schedule?: string;
  weightDecay?: string;
  trainSize?: string;
  testSize?: string;
  augment?: boolean;
  labelNoise?: string;
  noiseType?: string;
  ema?: string;
  evalEvery?: string;
  sharpness?: boolean;
  initFrom?: string;
  seed?: string;
  runDir?: string;
  dataDir?: string;
}

function number(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  // Number("") and Number(" ") are 0: an empty value must not become a learning rate of 0.
  if (value.trim() === "" || !Number.isFinite(parsed)) throw new InputError(`--${flag}: "${value}" is not a number`);
  return parsed;
}

/** A train config from `--config FILE` (JSON) with the flags on top. */
export function trainConfigFromFlags(flags: TrainFlags) {
  let fromFile: Record<string, unknown> = {};
  if (flags.config) {
    if (!existsSync(flags.config)) throw new InputError(`--config: file "${flags.config}" not found`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(flags.config, "utf8"));
    } catch (error) {
      throw new InputError(`--config: ${flags.config} is not valid JSON: ${(error as Error).message}`);
    }
    if (!isPlainObject(parsed)) throw new InputError(`--config: ${flags.config}: expected an object of train settings, got ${JSON.stringify(parsed)}`);
    fromFile = parsed;
    if (fromFile.sam !== undefined && !isPlainObject(fromFile.sam)) {
      throw new InputError(`--config: ${flags.config}: sam: expected an object such as {"variant": "sam", "rho": 0.05}, got ${JSON.stringify(fromFile.sam)}`);
    }
  }
  const sam: Record<string, unknown> = { ...((fromFile.sam as Record<string, unknown>) ?? {}) };
  if (flags.sam !== undefined) {
    // "n-sam" is SAM with the perturbation from the previous batch (SPEC 1.3 c).
    if (flags.sam === "n-sam") {
      sam.variant = "sam";
      sam.ascentBatch = "previous";
    } else sam.variant = flags.sam === "erm" ? "sgd" : flags.sam;
  }
  const set = (key: string, value: unknown) => {
    if (value !== undefined) sam[key] = value;
  };
  set("rho", number("rho", flags.rho));
  set("m", number("m", flags.m));
  set("ascentBatch", flags.ascentBatch);
  set("randomSigma", number("random-sigma", flags.randomSigma));
  const overrides: Record<string, unknown> = {
    model: flags.model,
    width: number("width", flags.width),
    dataset: flags.dataset,
    epochs: number("epochs", flags.epochs),
    batchSize: number("batch-size", flags.batchSize),
    learningRate: number("lr", flags.lr),
    schedule: flags.schedule,
    weightDecay: number("weight-decay", flags.weightDecay),
    trainSize: number("train-size", flags.trainSize),
    testSize: number("test-size", flags.testSize),
    augment: flags.augment === false ? false : undefined,
    labelNoise: flags.labelNoise !== undefined ? { fraction: number("label-noise", flags.labelNoise), type: flags.noiseType ?? "symmetric" } : undefined,
    emaTau: number("ema", flags.ema),
    evalEvery: number("eval-every", flags.evalEvery),
    sharpness: flags.sharpness ? {} : undefined,
    initFrom: flags.initFrom,
    seed: number("seed", flags.seed),
  };
  const merged = { ...fromFile, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)), ...(Object.keys(sam).length ? { sam } : {}) };
  const config = validate(trainConfigSchema, merged, flags.config ? `${flags.config} + flags` : "flags");
  checkTrainConfig(config);
  return config;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Adds `train`, `sharpness` and `data download` to the sam-repro program. */
export function registerCommands(program: Command): void {
  program
    .command("train")
    .description("train one model (PreAct ResNet on CIFAR) and write metrics.jsonl, checkpoints and result.json under a run directory; a rerun resumes")
    .option("--config <file>", "JSON train config (fields of the train schema); flags override it")
    .addOption(new Option("--model <name>", "model").choices(MODEL_NAMES))
    .option("--width <w>", "model width (64 in the paper)")
    .addOption(new Option("--dataset <name>", "dataset").choices([...DATASET_NAMES]))
    .addOption(new Option("--sam <variant>", "method: erm (sgd), sam, n-sam, usam, asam, random").choices(["erm", "sgd", "sam", "n-sam", "usam", "asam", "random"]))
    .option("--rho <rho>", "perturbation radius")
    .option("--m <m>", "m of m-SAM (divides the batch size)")
    .addOption(new Option("--ascent-batch <source>", "where the perturbation comes from").choices(["same", "previous"]))
    .option("--random-sigma <sigma>", "sigma of random weight perturbations (--sam random)")
    .option("--epochs <n>", "epochs")
    .option("--batch-size <n>", "batch size (128)")
    .option("--lr <lr>", "maximum learning rate (0.1)")
    .addOption(new Option("--schedule <name>", "learning-rate schedule").choices(["piecewise", "cosine", "constant"]))
    .option("--weight-decay <lambda>", "lambda of 0.5 lambda ||w||^2 in the objective (5e-4)")
    .option("--train-size <n>", "training images (random subset of the 45k split)")
    .option("--test-size <n>", "test images (first n)")
    .option("--no-augment", "no random crop / flip")
    .option("--label-noise <fraction>", "fraction of training labels to corrupt")
    .addOption(new Option("--noise-type <type>", "label noise type").choices(["symmetric", "asymmetric"]))
    .option("--ema <tau>", "EMA of the weights with this tau (0.999 in the official code)")
    .option("--eval-every <k>", "evaluate every k epochs (5)")
    .option("--sharpness", "measure the m-sharpness of the final weights (SPEC 1.7 defaults)")
    .option("--init-from <dir>", "start from the final weights of this run directory (fine-tuning; no optimizer state)")
    .option("--seed <seed>", "seed (0)")
    .option("--run-dir <dir>", "run directory (default runs/train/<model>-<method>-<config hash>)")
    .option("--data-dir <dir>", `data directory (env ${DATA_DIR_ENV_VAR}; default <workspace>/data or ../shared/datasets)`)
    .action(async (flags: TrainFlags) => {
      const config = trainConfigFromFlags(flags);
      // Everything that can be checked without the backend and the data is checked first; nothing is created before.
      if (flags.runDir !== undefined && flags.runDir.trim() === "") throw new InputError(`--run-dir: "" is not a directory`);
      checkOutputLocation(flags.runDir ?? path.join(runsDirectory(), "train"), flags.runDir !== undefined ? "--run-dir" : "run directory");
      const info = await initBackend();
      process.stderr.write(`${describeBackend(info)}\n`);
      const method = config.sam.variant === "sam" && config.sam.ascentBatch === "previous" ? "nsam" : config.sam.variant;
      const directory = flags.runDir ?? path.join(runsDirectory(), "train", `${config.model}-${method}-${configHash(config, tf.getBackend())}`);
      // The second writer of a run directory stops here, before loading the data.
      const lock = acquireDirectoryLock(directory, `sam-repro train ${config.model} ${method} seed ${config.seed}`);
      // A run directory holds one run: another config's (or backend's) result or checkpoint is not silently replaced.
      const stored = storedRunHash(directory);
      const hash = configHash(config, tf.getBackend());
      if (stored !== null && stored !== hash) {
        throw new InputError(`--run-dir ${directory}: holds a run of another config or backend (hash ${stored}; this one is ${hash}); choose another --run-dir, or delete it to start over`);
      }
      const data = loadCifar(config.dataset, flags.dataDir ? { dataDirectory: flags.dataDir } : {});
      const result = await trainRun(config, { directory, data, label: `train ${config.model} ${method}`, lock });
      const final = result.final;
      process.stdout.write(
        `${result.status}: ${result.epochsCompleted}/${config.epochs} epochs, test error ${final?.testError != null ? (100 * final.testError).toFixed(2) + "%" : "n/a"}, ` +
          `train error ${final?.trainEvalError != null ? (100 * final.trainEvalError).toFixed(2) + "%" : "n/a"}, ${result.trainImagesPerSecond.toFixed(1)} images/s\n` +
          `run directory: ${directory}\n`,
      );
    });

  program
    .command("sharpness")
    .description("m-sharpness of a trained model by projected gradient ascent on the weights (SPEC 1.7)")
    .requiredOption("--checkpoint <dir>", "run directory (or its result.json / checkpoint.json)")
    .option("--rho <rho>", "radius (0.1)")
    .option("--step-size-mult <c>", "step size = c * rho (0.1)")
    .option("--iterations <n>", "ascent steps (20)")
    .option("--restarts <n>", "restarts (1)")
    .option("--examples <n>", "unaugmented training images (256)")
    .option("--m <m>", "batch on which each perturbation is maximized (128)")
    .option("--data-dir <dir>", `data directory (env ${DATA_DIR_ENV_VAR})`)
    .option("--json", "print one JSON object")
    .action(async (flags: Record<string, string | boolean | undefined>) => {
      const settings = validate(
        sharpnessSettingsSchema,
        Object.fromEntries(
          Object.entries({
            rho: flags.rho,
            stepSizeMultiplier: flags.stepSizeMult,
            iterations: flags.iterations,
            restarts: flags.restarts,
            examples: flags.examples,
            batchSize: flags.m,
          })
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, number(k, String(v))]),
        ),
        "flags",
      );
      if (settings.batchSize > settings.examples) {
        throw new InputError(`--m: ${settings.batchSize} is more than --examples ${settings.examples}; an m-sharpness needs at least m examples (allowed 1..${settings.examples})`);
      }
      const source = resolveCheckpoint(String(flags.checkpoint));
      const info = await initBackend();
      process.stderr.write(`${describeBackend(info)}\n`);
      const config = source.config;
      const data = prepareData(config, loadCifar(config.dataset, typeof flags.dataDir === "string" ? { dataDirectory: flags.dataDir } : {}));
      const model = new ResNet(modelConfigOf(config, data.classes), config.seed);
      model.writeWeights(readWeightsFile(source.weightsFile));
      const random = new SeededRandom(epochSeed(config.seed, config.epochs, "evaluation"));
      const indices = random.permutation(data.train.count).slice(0, Math.min(settings.examples, data.train.count));
      const result = measureSharpness(model, data.train, indices, settings, config.seed);
      model.dispose();
      if (flags.json) process.stdout.write(`${JSON.stringify({ checkpoint: source.directory, settings, ...result })}\n`);
      else
        process.stdout.write(
          `${result.m}-sharpness (rho ${settings.rho}, ${settings.iterations} steps, ${result.batches} batches): ${result.sharpness.toFixed(5)}\n` +
            `loss ${result.lossAtWeights.toFixed(5)} -> ${result.lossAtPerturbed.toFixed(5)}, error ${(100 * result.errorAtWeights).toFixed(2)}% -> ${(100 * result.errorAtPerturbed).toFixed(2)}%\n`,
        );
    });

  const data = program.command("data").description("datasets");
  data
    .command("download")
    .description("download and unpack the official CIFAR binary archive (needs internet)")
    .argument("<dataset>", `one of ${DATASET_NAMES.join(", ")}`)
    .option("--data-dir <dir>", `where to unpack (env ${DATA_DIR_ENV_VAR}; default <workspace>/data)`)
    .option("--url <url>", "another address of the archive (mirror; http(s):// or file://)")
    .option("--no-verify", "skip the md5 check of the archive")
    .action(async (dataset: string, flags: { dataDir?: string; url?: string; verify: boolean }) => {
      if (!(DATASET_NAMES as readonly string[]).includes(dataset)) {
        throw new InputError(`data download: unknown dataset "${dataset}"; allowed: ${DATASET_NAMES.join(", ")}`);
      }
      if (flags.dataDir !== undefined && flags.dataDir.trim() === "") throw new InputError(`--data-dir: "" is not a directory`);
      const dataDirectory = flags.dataDir ?? dataDirSetting() ?? defaultDataDirectories()[0];
      checkOutputLocation(dataDirectory, "--data-dir", 400 * 2 ** 20);
      let lastShown = 0;
      let bar: ReturnType<typeof createProgress> | null = null;
      const { directory, files } = await downloadCifar(dataset as DatasetName, {
        dataDirectory,
        ...(flags.url ? { url: flags.url } : {}),
        ...(flags.verify ? {} : { md5: null }),
        onProgress: (received, total) => {
          // A bar with ETA in MB when the size is known; otherwise a line a second with what has arrived.
          if (total) {
            bar ??= createProgress(`download ${dataset} (MB)`, Math.ceil(total / 1e6), 2);
            bar.update(Math.min(Math.floor(received / 1e6), Math.ceil(total / 1e6)));
            return;
          }
          const now = Date.now();
          if (now - lastShown < 1000) return;
          lastShown = now;
          process.stderr.write(`downloaded ${(received / 1e6).toFixed(1)} MB\n`);
        },
      });
      (bar as ReturnType<typeof createProgress> | null)?.stop();
      // Check what was unpacked with the same loader training uses (sha256 for CIFAR-10).
      loadCifar(dataset as DatasetName, { dataDirectory, testOnly: true });
      process.stdout.write(`unpacked ${files.length} files into ${directory}\n`);
    });
}
