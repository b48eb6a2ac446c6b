export { formatJson, readJsonIfExists, writeFileAtomic, writeJsonAtomic } from "./atomic.js";
export { Checkpoint } from "./checkpoint.js";
export { InputError } from "./errors.js";
export {
  LockHeldError,
  acquireDirectoryLock,
  lockFileFor,
  readLockHolder,
  withDirectoryLock,
  type DirectoryLock,
  type LockHolder,
} from "./lock.js";
export { MIN_FREE_BYTES, checkOutputLocation, describeWriteError, makeOutputDirectory } from "./output-location.js";
export {
  RESULT_FILE,
  commitRunResult,
  readFinishedResult,
  readResultFile,
  runDirectory,
  runHash,
  writeResultFile,
  type HashedResult,
  type RunAddress,
  type RunIdentity,
} from "./run-store.js";
export { keyedResultCache, reviveNumbers, type KeyedCacheOptions, type ResultCache } from "./run-store-cache.js";
export {
  STOP_SIGNALS,
  StopRequestedError,
  beginStoppableWork,
  installStopHandlers,
  resetStopRequest,
  signalExitCode,
  stopRequested,
  yieldToSignals,
  type StopSignal,
} from "./signals.js";
export {
  claimSpecSchema,
  describeValidationError,
  experimentFile,
  listExperiments,
  loadExperiment,
  validate,
  type ClaimSpec,
  type ExperimentConfig,
} from "./config.js";
export { experimentsDir, profileReportsDir, reportsDir, workspaceRoot } from "./paths.js";
export { experimentJsonSchema, schemaReference, type FigureSettings } from "./json-schema.js";
export {
  CIFAR10_SHA256,
  CIFAR_LAYOUTS,
  findDatasetDirectory,
  locateDataFile,
  readVerifiedFile,
  recordBytes,
  resolveDataDirectory,
  type DatasetLayout,
  type DatasetName,
} from "./cifar-files.js";
export { DEFAULT_PROFILE, PROFILES, type Profile } from "./profiles.js";
export * from "./settings.js";
export { createProgress, etaSeconds, type Progress } from "./progress.js";
export * from "./verdicts/index.js";
