/**
 * @sam-repro/deep-nets: CIFAR-10/100 loaders, PreAct ResNets built from tfjs ops, a resumable SAM
 * trainer (any variant of @sam-repro/sam), m-sharpness, loss interpolation, and the deep-network
 * figures of the paper (Figs. 1, 9, 10 and the m-SAM experiment; SPEC 5.B).
 */
export { classCount, concatImageSets, decodeRecords, encodeRecords, selectImages, DATASET_NAMES, IMAGE_VALUES, type DatasetName, type ImageSet } from "./data/cifar-format.js";
export {
  CIFAR10_SHA256,
  DATA_DIR_ENV_VAR,
  defaultDataDirectories,
  findDatasetDirectory,
  loadCifar,
  readClassNames,
  resolveDataDirectory,
  type CifarData,
  type LoadOptions,
} from "./data/cifar-files.js";
export { CIFAR_ARCHIVES, downloadCifar, type DownloadOptions } from "./data/download.js";
export { readTar, type TarEntry } from "./data/tar.js";
export { DEFAULT_VALIDATION_SIZE, splitTrainValidation, type TrainValidationSplit } from "./data/split.js";
export { augmentBatch, gatherBatch, toUnitFloats, CROP_PADDING } from "./data/augment.js";
export { applyLabelNoise, asymmetricTarget, type LabelNoiseType, type NoisyLabels } from "./data/label-noise.js";
export { countParameters, describeNetwork, modelFromPreset, MODEL_NAMES, MODEL_PRESETS, type ModelConfig, type Normalization } from "./models/architecture.js";
export { ResNet, type ForwardMode } from "./models/resnet.js";
export { trainConfigSchema, samSettingsSchema, sharpnessSettingsSchema, configHash, type TrainConfig, type TrainConfigInput, type SamSettings, type SharpnessSettings } from "./training/config.js";
export { learningRateAt, LEARNING_RATE_SCHEDULES, type LearningRateSchedule } from "./training/schedule.js";
export { batchTensors, prepareData, type PreparedData } from "./training/prepared-data.js";
export { evaluateModel, recomputeBatchNormStatistics, type Evaluation } from "./training/evaluate.js";
export { measureSharpness, type SharpnessResult } from "./training/sharpness.js";
export { interpolate, type InterpolationPoint } from "./training/interpolation.js";
export { modelConfigOf, trainRun, type StepInfo, type TrainOptions } from "./training/trainer.js";
export {
  RESULT_FILE,
  RUNS_DIR_ENV_VAR,
  readRunResult,
  readWeightsFile,
  resolveCheckpoint,
  runsDirectory,
  type MetricRecord,
  type RunResult,
} from "./training/run-store.js";
export {
  runJobs,
  jobDirectory,
  cachedCifar,
  completedRun,
  jobHash,
  setJobExecutor,
  startTrainerProcess,
  storeRunResult,
  trainInProcess,
  WORKERS_ENV_VAR,
  type JobExecutor,
  type TrainJob,
  type WorkerRequest,
} from "./experiments/jobs.js";
export { summarize, type Summary } from "./experiments/common.js";
export { rejudgeDeepNetClaims, type CommittedFigure } from "./experiments/rejudge.js";
export { FIGURES, reproduce } from "./reproduce.js";
export { DEEP_NET_FIGURES, describeRemaining, estimateFigureMinutes, estimateGroupMinutes, remainingRuns, remainingWork, type DeepNetFigure } from "./experiments/figure-table.js";
export { ascentGaps, type AscentGap, type AscentGapSettings } from "./experiments/ascent-gap-measure.js";
export { switchSettings, type SwitchDirection } from "./experiments/switch-timing.js";
export { estimateRunSeconds, runName } from "./experiments/shared-runs.js";
export { ghostBatchForward } from "./training/ghost-batch-norm.js";
export { registerCommands, trainConfigFromFlags } from "./commands.js";
