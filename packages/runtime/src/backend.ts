import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { InputError, backendSetting, parseBackendChoice, type BackendChoice } from "@sam-repro/runner";
import { registerWasmGradientKernels } from "./wasm-gradient-kernels.js";
import { NATIVE_BACKEND_NAME as NATIVE_BACKEND } from "./native/native-backend.js";
import { registerNativeBackend, type NativeAddonInfo } from "./native/register.js";

const require = createRequire(import.meta.url);

// The backend choices, SAM_REPRO_BACKEND and their parsing live with every other setting in the runner's
// settings module; "native" is tfjs's cpu backend with the heavy kernels of this package's compiled addon.
export { BACKEND_CHOICES, BACKEND_ENV_VAR, parseBackendChoice, type BackendChoice } from "@sam-repro/runner";

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
  /** Problems the user must fix, printed with every backend line (a tfjs-node package installed without its binding). */
  warnings: string[];
  /** The native addon when the "native" backend is active (vector width, threads, where it was loaded from). */
  nativeAddon?: NativeAddonInfo;
}

let active: BackendInfo | null = null;

type TfjsNodePackage = "@tensorflow/tfjs-node-gpu" | "@tensorflow/tfjs-node";

/** absent: not installed; broken: installed but its libtensorflow binding does not load; ok: registered "tensorflow". */
export interface NativePackageProbe {
  status: "ok" | "absent" | "broken";
  reason: string;
}

/** Whether `pkg` is installed at all (its package.json resolves), independently of whether its binding loads. */
function isInstalled(pkg: TfjsNodePackage, resolve: (id: string) => string): boolean {
  try {
    resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Loads a tfjs-node package. A package that is installed but throws on load is "broken": npm 11 gates dependency
 * install scripts on package.json's allowScripts, and tfjs-node's script is what downloads libtensorflow and
 * builds tfjs_binding.node, so such an install (or one without the CUDA libraries) would fall back to the CPU
 * silently unless this is said out loud.
 */
export function probeNativePackage(
  pkg: TfjsNodePackage,
  load: (id: string) => unknown = require,
  resolve: (id: string) => string = require.resolve,
): NativePackageProbe {
  if (!isInstalled(pkg, resolve)) return { status: "absent", reason: "not installed" };
  try {
    // The native packages register the "tensorflow" backend as a side effect of loading.
    load(pkg);
    if (tf.findBackend("tensorflow") != null) return { status: "ok", reason: "loaded" };
    return { status: "broken", reason: "loaded but registered no \"tensorflow\" backend" };
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    return { status: "broken", reason: message };
  }
}

/**
 * The loud line for an installed tfjs-node package that does not load, with what repairs it: a missing
 * tfjs_binding.node means its install script did not run; a missing CUDA or cuDNN library means the GPU
 * software is not the version libtensorflow 2.9 needs (README: GPU).
 */
export function brokenPackageWarning(pkg: TfjsNodePackage, reason: string): string {
  const fix = /lib(cudart|cudnn|cublas|cufft|curand|cusolver|cusparse|cuda)\b/i.test(reason)
    ? "a CUDA or cuDNN library is missing: install CUDA 11.2 and cuDNN 8.1 (README: GPU)"
    : `its install script probably did not run (npm install-scripts ls; then npm rebuild ${pkg})`;
  return `WARNING: ${pkg} is installed but its native binding does not load (${reason}); ${fix}`;
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
  const requested = choice != null ? parseBackendChoice(choice, "--backend") : backendSetting();
  if (active && (requested === "auto" || requested === active.requested || matches(requested, active))) return active;

  const notes: string[] = [];
  let nativePackage: BackendInfo["nativePackage"] = null;
  let tfjsNodeGpuFound = false;
  let tfjsNodeFound = false;
  let backend: string | null = null;

  const warnings: string[] = [];
  /** Loads `pkg` and activates "tensorflow"; whether the package loaded (found) and whether it now computes (active). */
  const tryPackage = async (pkg: TfjsNodePackage): Promise<{ found: boolean; active: boolean }> => {
    const probe = probeNativePackage(pkg);
    if (probe.status === "broken") warnings.push(brokenPackageWarning(pkg, probe.reason));
    const started = probe.status === "ok" && (await activate("tensorflow"));
    if (!started) notes.push(`${pkg} not usable: ${probe.reason}`);
    return { found: probe.status === "ok", active: started };
  };
  for (const [pkg, choice] of [
    ["@tensorflow/tfjs-node-gpu", "tensorflow-gpu"],
    ["@tensorflow/tfjs-node", "tensorflow"],
  ] as const) {
    if (backend || (requested !== "auto" && requested !== choice)) continue;
    const outcome = await tryPackage(pkg);
    if (pkg === "@tensorflow/tfjs-node-gpu") tfjsNodeGpuFound = outcome.found;
    else tfjsNodeFound = outcome.found;
    if (outcome.active) {
      backend = "tensorflow";
      nativePackage = pkg;
    }
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
    // Imported here, not at the top: loading tfjs-backend-wasm registers "wasm" with a priority above "cpu",
    // which would switch the backend of any program that merely imports this package.
    const { setWasmPaths } = await import("@tensorflow/tfjs-backend-wasm");
    setWasmPaths(wasmDistDirectory());
    registerWasmGradientKernels();
    if (await activate("wasm")) backend = "wasm";
    else notes.push("wasm backend failed to initialise");
  }
  if (!backend && (requested === "auto" || requested === "cpu")) {
    if (await activate("cpu")) backend = "cpu";
  }
  if (!backend) {
    // An environment problem the user can fix (a package or its binding is missing): one line, exit 2.
    throw new InputError(`backend "${requested}" could not be started: ${notes.join("; ") || "unknown reason"}`);
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
    warnings,
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
  const line = `backend: ${info.backend}${native} (tfjs ${info.tfjsVersion}${addon}, ${info.threads} thread${info.threads === 1 ? "" : "s"}, requested ${info.requested})`;
  return [line, ...info.warnings].join("\n");
}
