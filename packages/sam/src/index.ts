/**
 * @sam-repro/sam: the SAM optimizer family of "Towards Understanding Sharpness-Aware Minimization" (SPEC 1.3-1.4)
 * for Float64Array parameter vectors with a gradient oracle, and for TensorFlow.js.
 */
export {
  SAM_VARIANTS,
  WEIGHT_DECAY_MODES,
  DEFAULT_RHO,
  DEFAULT_EPSILON,
  DEFAULT_ASAM_ETA,
  resolveCommonOptions,
  resolveRho,
  type CommonSamOptions,
  type ResolvedSamOptions,
  type RhoSchedule,
  type SamVariant,
  type WeightDecayMode,
} from "./options.js";
export {
  Float64Sam,
  type Float64GradientOracle,
  type Float64SamOptions,
  type Float64SamState,
  type Float64StepResult,
} from "./float64/float64-sam.js";
export { addAscentStep, l2Norm, projectOntoBall } from "./float64/perturbation.js";
/**
 * The same perturbation pieces over lists of tfjs tensors (one global l2 norm, or one per replica):
 * `tensorPerturbation.ascentStep`, `.projectOntoBall`, `.globalNorm`, `.asamScaleOf`; what SamOptimizer,
 * grouped m-SAM, the m-sharpness measure and the benchmarks are built from (docs/spec.md 1.3).
 */
export * as tensorPerturbation from "./tfjs/tensor-perturbation.js";
export {
  SamOptimizer,
  ASCENT_BATCH_SOURCES,
  BATCH_NORM_STATISTICS_MODES,
  type AscentBatchSource,
  type Batch,
  type BatchNormStatisticsMode,
  type LossFunction,
  type PassInfo,
  type SamOptions,
  type SamStepContext,
  type SamStepResult,
  type SerializedSamState,
} from "./tfjs/sam-optimizer.js";
export { withGroupedLoss, type GroupedLossFunction, type GroupedPassInfo } from "./tfjs/grouped-msam.js";
export type { SerializedNamedTensor, SerializedTensor } from "./tfjs/serialization.js";
export {
  layersModelLoss,
  layersModelVariables,
  type LayersLoss,
  type LayersModelLike,
  type LayersWeight,
} from "./tfjs/layers-model.js";
export {
  SAM_STATE_ARTIFACTS_FORMAT,
  artifactsToTensors,
  loadSamStateFromArtifacts,
  loadVariablesFromArtifacts,
  samStateToArtifacts,
  tensorsToArtifacts,
  variablesToArtifacts,
} from "./tfjs/checkpoint.js";
export { InputError } from "./errors.js";
export { SeededRandom } from "./random.js";
