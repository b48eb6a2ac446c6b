import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { InputError } from "@sam-repro/runner";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { registerWasmGradientKernels } from "./wasm-gradient-kernels.js";
import { NATIVE_BACKEND_NAME as NATIVE_BACKEND } from "./native/native-backend.js";
import { registerNativeBackend, type NativeAddonInfo } from "./native/register.js";

const require = createRequire(import.meta.url);

/**
 * The compute backends sam-repro knows, in the order `auto` tries them. "native" is tfjs's cpu
 * backend with the heavy kernels in this package's compiled addon (packages/runtime/native).
 */
export const BACKEND_CHOICES = ["auto", "tensorflow-gpu", "tensorflow", "native", "wasm", "cpu"] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** Environment variable that overrides the backend choice (same values as `--backend`). */
export const BACKEND_ENV_VAR = "SAM_REPRO_BACKEND";

export interface BackendInfo {
  /** tfjs backend name that is active: "tensorflow", "native", "wasm" or "cpu". */
  backend: string;
  /** What was asked for (flag, environment variable or "auto"). */
  requested: BackendChoice;
  /** Which native binding supplied the "tensorflow" backend, if any. */
  nativePackage: "@tensorflow/tfjs-node-gpu" | "@tensorflow/tfjs-node" | null;
  tfjsVersion: string;
  /** Threads the backend computes with (wasm in Node is single-threaded). */
  threads: number;
  /** Whether the optional native packages could be loaded on this machine. */
  tfjsNodeGpuFound: boolean;
  tfjsNodeFound: boolean;
  /** Why better backends were skipped, for the printed summary. */
  notes: string[];
  /** The native addon when the "native" backend is active (vector width, threads, where it was loaded from). */
  nativeAddon?: NativeAddonInfo;
}

let active: BackendInfo | null = null;

/** Parses a backend choice, failing with a message that names the allowed values. */
export function parseBackendChoice(value: string, source = "--backend"): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(value)) return value as BackendChoice;
  throw new InputError(`${source}: unknown backend "${value}"; allowed values: ${BACKEND_CHOICES.join(", ")}`);
}

function tryLoadNative(pkg: "@tensorflow/tfjs-node-gpu" | "@tensorflow/tfjs-node"): { ok: boolean; reason: string } {
  try {
    // The native packages register the "tensorflow" backend as a side effect of loading.
    require(pkg);
    return { ok: tf.findBackend("tensorflow") != null, reason: "loaded" };
  } catch (error) {
    // A broken install (e.g. --ignore-scripts) throws without an error code, so any throw means "absent".
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return { ok: false, reason: message };
  }
}

function wasmDistDirectory(): string {
  const entry = require.resolve("@tensorflow/tfjs-backend-wasm");
  // setWasmPaths needs the trailing separator to treat the value as a directory prefix.
  return path.dirname(entry) + path.sep;
}

async function activate(name: string): Promise<boolean> {
  try {
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

/**
 * Selects and initialises the compute backend: tfjs-node-gpu, else tfjs-node, else "native" (tfjs's cpu
 * backend with this package's compiled kernels, when `npm run build:native` built them), else wasm
 * (SIMD, with the gradient kernels it lacks), else cpu.
 * `choice` (or the SAM_REPRO_BACKEND environment variable) forces one; a forced backend that cannot
 * start is an error rather than a silent fallback. Idempotent: later calls return the active backend.
 */
export async function initBackend(choice?: BackendChoice | string): Promise<BackendInfo> {
  const requested = parseBackendChoice(
    choice ?? process.env[BACKEND_ENV_VAR] ?? "auto",
    choice != null ? "--backend" : process.env[BACKEND_ENV_VAR] != null ? BACKEND_ENV_VAR : "--backend",
  );
  if (active && (requested === "auto" || requested === active.requested || matches(requested, active))) return active;

  const notes: string[] = [];
  let nativePackage: BackendInfo["nativePackage"] = null;
  let tfjsNodeGpuFound = false;
  let tfjsNodeFound = false;
  let backend: string | null = null;

  if (requested === "auto" || requested === "tensorflow-gpu") {
    const gpu = tryLoadNative("@tensorflow/tfjs-node-gpu");
    tfjsNodeGpuFound = gpu.ok;
    if (gpu.ok && (await activate("tensorflow"))) {
      backend = "tensorflow";
      nativePackage = "@tensorflow/tfjs-node-gpu";
    } else notes.push(`@tensorflow/tfjs-node-gpu not usable: ${gpu.reason}`);
  }
  if (!backend && (requested === "auto" || requested === "tensorflow")) {
    const cpuNative = tryLoadNative("@tensorflow/tfjs-node");
    tfjsNodeFound = cpuNative.ok;
    if (cpuNative.ok && (await activate("tensorflow"))) {
      backend = "tensorflow";
      nativePackage = "@tensorflow/tfjs-node";
    } else notes.push(`@tensorflow/tfjs-node not usable: ${cpuNative.reason}`);
  }
  let nativeAddon: NativeAddonInfo | undefined;
  if (!backend && (requested === "auto" || requested === "native")) {
    const native = registerNativeBackend();
    if (native.ok && (await activate(NATIVE_BACKEND))) {
      backend = NATIVE_BACKEND;
      nativeAddon = native.info;
    } else notes.push(native.ok ? "native backend failed to initialise" : native.reason);
  }
  if (!backend && (requested === "auto" || requested === "wasm")) {
    setWasmPaths(wasmDistDirectory());
    registerWasmGradientKernels();
    if (await activate("wasm")) backend = "wasm";
    else notes.push("wasm backend failed to initialise");
  }
  if (!backend && (requested === "auto" || requested === "cpu")) {
    if (await activate("cpu")) backend = "cpu";
  }
  if (!backend) {
    throw new Error(`backend "${requested}" could not be started: ${notes.join("; ") || "unknown reason"}`);
  }
  active = {
    backend,
    requested,
    nativePackage,
    tfjsVersion: tf.version.tfjs,
    threads: backendThreads(backend),
    tfjsNodeGpuFound,
    tfjsNodeFound,
    notes,
    ...(nativeAddon ? { nativeAddon } : {}),
  };
  return active;
}

function matches(requested: BackendChoice, info: BackendInfo): boolean {
  if (requested === "tensorflow-gpu") return info.nativePackage === "@tensorflow/tfjs-node-gpu";
  if (requested === "tensorflow") return info.backend === "tensorflow";
  return info.backend === requested;
}

function backendThreads(backend: string): number {
  if (backend === NATIVE_BACKEND) return registerNativeBackend().info?.threads ?? 1;
  if (backend === "wasm") {
    const wasm = tf.backend() as unknown as { getThreadsCount?: () => number };
    return wasm.getThreadsCount?.() ?? 1;
  }
  if (backend === "tensorflow") return require("node:os").cpus().length;
  return 1;
}

/** The active backend, or null before initBackend ran. */
export function activeBackend(): BackendInfo | null {
  return active;
}

/** One line that every runner prints so a result can be traced to the backend that made it. */
export function describeBackend(info: BackendInfo): string {
  const native = info.nativePackage ? ` via ${info.nativePackage}` : "";
  const addon = info.nativeAddon ? `, addon ${info.nativeAddon.simd}` : "";
  return `backend: ${info.backend}${native} (tfjs ${info.tfjsVersion}${addon}, ${info.threads} thread${info.threads === 1 ? "" : "s"}, requested ${info.requested})`;
}
