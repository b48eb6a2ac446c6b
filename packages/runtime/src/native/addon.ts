import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { nativeThreadsSetting } from "@sam-repro/runner";
import { fileURLToPath } from "node:url";

/** The kernels of the native addon (packages/runtime/native). Arrays are used in place, never copied. */
export interface NativeKernels {
  /** Sets (when given) and returns the number of threads the kernels use, the calling thread included. */
  threads(count?: number): number;
  /** params: batch, inH, inW, inC, outH, outW, outC, filterH, filterW, strideH, strideW, padTop, padLeft, dilationH, dilationW. */
  conv2d(x: Float32Array, filter: Float32Array, y: Float32Array, params: number[]): void;
  conv2dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, params: number[]): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, params: number[]): void;
  /** The three convolutions for `groups` groups back to back, group g with filter g (filters [groups, kh, kw, ci, co]); params describe one group. */
  groupedConv2d(x: Float32Array, filter: Float32Array, y: Float32Array, params: number[], groups: number): void;
  groupedConv2dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, params: number[], groups: number): void;
  groupedConv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, params: number[], groups: number): void;
  /**
   * Fused BatchNorm (+ ReLU) with per-group batch statistics over x [groups, rows, channels]; params = [groups, rows, channels].
   * With a residual (x's shape): y = relu?(bn(x) + residual), a residual block's merge.
   */
  batchNorm(
    x: Float32Array, residual: Float32Array | null, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, variance: Float32Array,
    params: number[], epsilon: number, relu: boolean,
  ): void;
  /**
   * Without dresidual the ReLU mask is recomputed from x (beta needed with relu, y unused); with dresidual (the forward
   * had a residual) the mask is read from y (needed with relu) and dresidual receives dy through the mask.
   */
  batchNormGrad(
    dy: Float32Array, x: Float32Array, y: Float32Array | null, beta: Float32Array | null, gamma: Float32Array, mean: Float32Array, variance: Float32Array,
    dx: Float32Array, dresidual: Float32Array | null, dgamma: Float32Array, dbeta: Float32Array, params: number[], epsilon: number, relu: boolean,
  ): void;
  /** Fused GroupNorm (+ ReLU) over x [samples, rows, channels]; params = [samples, rows, channels, groups, replicas]; gamma, beta [replicas, channels]. */
  groupNorm(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, variance: Float32Array, params: number[], epsilon: number, relu: boolean): void;
  groupNormGrad(
    dy: Float32Array, x: Float32Array, y: Float32Array | null, gamma: Float32Array, mean: Float32Array, variance: Float32Array,
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, params: number[], epsilon: number, relu: boolean,
  ): void;
  /** In place y[i, c] = act(y[i, c] + bias[c]); activation 0 = linear, 1 = relu. */
  biasActivation(y: Float32Array, bias: Float32Array | null, channels: number, activation: number): void;
  binary(op: number, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], out: Float32Array, outShape: number[]): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  addN(inputs: Float32Array[], out: Float32Array): void;
  /** out = sum (or mean) over `axes` of x, or of the float32 products x * y when y is given (y has x's shape). */
  reduceSum(x: Float32Array, y: Float32Array | null, shape: number[], axes: number[], out: Float32Array, mean: boolean): void;
  /** out[r, j] = base[j] + g[r, j] * factor[r]: m-SAM's perturbed replicas in one pass (the product rounded first). */
  replicaAxpy(base: Float32Array, g: Float32Array, factor: Float32Array, out: Float32Array): void;
  /** float32 lanes of the widest vector unit the addon was compiled for (16 = AVX-512, 8 = AVX2). */
  vectorLanes: number;
}

/** Where `npm run build:native -w @sam-repro/runtime` puts the compiled addon. */
export const NATIVE_ADDON_PATH = fileURLToPath(new URL("../../native/build/Release/sam_repro_native.node", import.meta.url));

export interface NativeLoadResult {
  kernels: NativeKernels | null;
  /** Why the addon is unusable, or "loaded". */
  reason: string;
}

let cached: NativeLoadResult | null = null;

/** Loads the compiled addon once; a missing or broken build gives null and the reason. */
export function loadNativeKernels(): NativeLoadResult {
  if (cached) return cached;
  if (!existsSync(NATIVE_ADDON_PATH)) {
    cached = { kernels: null, reason: "native addon not built (run `npm run build:native -w @sam-repro/runtime`)" };
    return cached;
  }
  // A bad SAM_REPRO_THREADS is the user's input: an InputError (exit 2), not a silent fall back to a slower backend.
  const threads = nativeThreadsSetting();
  try {
    const require = createRequire(import.meta.url);
    const kernels = require(NATIVE_ADDON_PATH) as NativeKernels;
    kernels.threads(threads);
    cached = { kernels, reason: "loaded" };
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    cached = { kernels: null, reason: `native addon failed to load: ${message}` };
  }
  return cached;
}
