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
export { SeededRandom } from "./random.js";
