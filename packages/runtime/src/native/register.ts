import { nativePoolBytesSetting } from "@sam-repro/runner";
import * as tf from "@tensorflow/tfjs";
import { NATIVE_ADDON_PATH, loadNativeKernels } from "./addon.js";
import { NATIVE_BACKEND_NAME, NativeBackend } from "./native-backend.js";
import { registerNativeKernels } from "./native-kernels.js";
import { registerNativeGradients } from "./native-gradients.js";
import { registerGroupedConv2D } from "./grouped-conv2d.js";
import { registerFusedBatchNorm } from "./fused-batch-norm.js";
import { registerFusedBatchNormGrad } from "./fused-batch-norm-grad.js";
import { registerFusedGroupNorm } from "./fused-group-norm.js";
import { registerFusedGroupNormGrad } from "./fused-group-norm-grad.js";
import { registerGroupedConv2DBackpropFilter } from "./grouped-conv2d-backprop-filter.js";
import { registerSharedFilterConv2D } from "./shared-filter-conv2d.js";
import { registerGroupedConv2DBackpropInput } from "./grouped-conv2d-backprop-input.js";
import { installEarlyReleaseGradients } from "./early-release-gradients.js";

/** What `sam-repro env` reports about the native addon. */
export interface NativeAddonInfo {
  /** "AVX-512", "AVX2" or "SSE": the vector unit the addon was compiled for. */
  simd: string;
  threads: number;
  path: string;
}

export type NativeRegistration = { ok: true; info: NativeAddonInfo } | { ok: false; reason: string; info?: undefined };

let result: NativeRegistration | null = null;

/**
 * Loads the native addon and registers the "native" tfjs backend (once). When the addon is not
 * built or fails to load, nothing is registered and the reason is returned for the backend notes.
 */
export function registerNativeBackend(): NativeRegistration {
  if (result) return result;
  const loaded = loadNativeKernels();
  const kernels = loaded.kernels;
  if (!kernels) {
    result = { ok: false, reason: loaded.reason };
    return result;
  }
  registerNativeKernels();
  registerNativeGradients();
  registerGroupedConv2D();
  registerGroupedConv2DBackpropInput();
  registerGroupedConv2DBackpropFilter();
  registerSharedFilterConv2D();
  registerFusedBatchNorm();
  registerFusedBatchNormGrad();
  registerFusedGroupNorm();
  registerFusedGroupNormGrad();
  const limit = nativePoolBytesSetting();
  tf.registerBackend(NATIVE_BACKEND_NAME, () => new NativeBackend(kernels, limit), 1);
  installEarlyReleaseGradients();
  const simd = kernels.vectorLanes >= 16 ? "AVX-512" : kernels.vectorLanes >= 8 ? "AVX2" : "SSE";
  result = { ok: true, info: { simd, threads: kernels.threads(), path: NATIVE_ADDON_PATH } };
  return result;
}
