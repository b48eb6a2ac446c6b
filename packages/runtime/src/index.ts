export {
  BACKEND_CHOICES,
  BACKEND_ENV_VAR,
  activeBackend,
  describeBackend,
  initBackend,
  parseBackendChoice,
  type BackendChoice,
  type BackendInfo,
} from "./backend.js";
export { registerWasmGradientKernels } from "./wasm-gradient-kernels.js";
export { NATIVE_ADDON_PATH, loadNativeKernels } from "./native/addon.js";
export { type NativeAddonInfo } from "./native/register.js";
export { groupedConv2d, hasGroupedConv2D } from "./native/grouped-ops.js";
export { batchNormTraining, hasFusedBatchNorm } from "./native/batch-norm-ops.js";
export { groupNormTraining, hasFusedGroupNorm } from "./native/fused-group-norm-ops.js";
export { SeededRandom } from "./random.js";
