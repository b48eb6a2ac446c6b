/**
 * Every SAM_REPRO_* environment variable: its name, default, allowed values and readers, in one place.
 * The packages read the environment only through this module (settings.test.ts checks it, and checks that
 * the README's "Environment variables" table is `SETTINGS`). A few reads stay outside on purpose; each entry
 * of `SETTINGS` says where and why: `@sam-repro/sam` depends on nothing of ours, the cli's bin runs before
 * any package is loaded, `scripts/data-checksums.mjs` is plain Node and `tools/peer/run-peer.sh` a shell script.
 * A bad value is an InputError naming the variable, the value and what is allowed. An empty value counts as
 * unset, except where `checkDirectorySettings` refuses it (the CLI calls it at start).
 */
import os from "node:os";
import path from "node:path";
import { InputError } from "./errors.js";
import { PROFILES, DEFAULT_PROFILE, type Profile } from "./profiles.js";
import { workspaceRoot } from "./workspace.js";

// The variables' names. Each one's documentation (what it changes, default, allowed values, readers) is its row of
// SETTINGS below, from which the README's table is checked; the readers further down hold the defaults and the checks.
export const PROFILE_ENV_VAR = "SAM_REPRO_PROFILE";
export const REPORTS_DIR_ENV_VAR = "SAM_REPRO_REPORTS_DIR";
export const RUNS_DIR_ENV_VAR = "SAM_REPRO_RUNS_DIR";
export const DATA_DIR_ENV_VAR = "SAM_REPRO_DATA_DIR";
export const QUIET_ENV_VAR = "SAM_REPRO_QUIET";
export const BACKEND_ENV_VAR = "SAM_REPRO_BACKEND";
export const THREADS_ENV_VAR = "SAM_REPRO_THREADS";
export const POOL_ENV_VAR = "SAM_REPRO_NATIVE_POOL_MB";
export const WORKERS_ENV_VAR = "SAM_REPRO_WORKERS";
export const LOCK_MS_ENV_VAR = "SAM_REPRO_QUEUE_LOCK_MS";
export const REDIS_URL_ENV_VAR = "SAM_REPRO_REDIS_URL";
export const REDIS_PASSWORD_ENV_VAR = "SAM_REPRO_REDIS_PASSWORD";
export const PYTHON_ENV_VAR = "SAM_REPRO_PYTHON";
export const ENTRY_ENV_VAR = "SAM_REPRO_ENTRY";
export const REQUIRE_NATIVE_ENV_VAR = "SAM_REPRO_REQUIRE_NATIVE";
export const REQUIRE_BROWSER_ENV_VAR = "SAM_REPRO_REQUIRE_BROWSER";
export const WORKER_COUNT_ENV_VAR = "SAM_REPRO_WORKER_COUNT";
export const PEER_DIR_ENV_VAR = "SAM_REPRO_PEER_DIR";

/** One environment variable as the README's table shows it. */
export interface SettingDescription {
  name: string;
  /** What it changes. */
  meaning: string;
  default: string;
  allowed: string;
  /** Who reads it (package and module, or file outside the packages). */
  readBy: string;
}

/** The compute backends sam-repro knows, in the order `auto` tries them (`--backend`, SAM_REPRO_BACKEND). */
export const BACKEND_CHOICES = ["auto", "tensorflow-gpu", "tensorflow", "native", "wasm", "cpu"] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** Every variable, in the README's order. */
export const SETTINGS: readonly SettingDescription[] = [
  { name: PROFILE_ENV_VAR, meaning: "run profile when `--profile` is not given", default: DEFAULT_PROFILE, allowed: PROFILES.join(", "), readBy: "runner `parseProfile` (`reproduce`, `sweep`)" },
  { name: REPORTS_DIR_ENV_VAR, meaning: "where figures, claims and benchmarks are written", default: "`<workspace>/reports` (`reports/<profile>` for a non-default profile)", allowed: "a directory; empty is refused", readBy: "runner `reportsDir`, `profileReportsDir`; set from `--out` by `reproduce` and `sweep`" },
  { name: RUNS_DIR_ENV_VAR, meaning: "the run store: deep-net runs and their checkpoints, convergence's cached runs", default: "`<workspace>/runs`", allowed: "a directory; empty is refused", readBy: "runner `runDirectory`, deep-nets `runsDirectory`" },
  { name: DATA_DIR_ENV_VAR, meaning: "the datasets directory (holds `cifar-10/`); same as `--data-dir`", default: "the first of `<workspace>/data`, `<workspace>/../shared/datasets` that holds the dataset (downloaded into `<workspace>/data` on first use); `data download` unpacks into `<workspace>/data`", allowed: "an existing directory", readBy: "runner `resolveDataDirectory` (deep-nets loaders, `ensureCifar`, `data download`; convergence `cifar10Directory`); `scripts/data-checksums.mjs` (plain Node, reads it itself)" },
  { name: QUIET_ENV_VAR, meaning: "hides progress bars and progress lines", default: "unset (progress shown)", allowed: "`1` hides; any other value shows", readBy: "runner `createProgress`; set to `1` for trainer and worker child processes" },
  { name: BACKEND_ENV_VAR, meaning: "tfjs backend when `--backend` is not given", default: "auto", allowed: BACKEND_CHOICES.join(", "), readBy: "runtime `initBackend`; cli (checks a tensorflow package is installed); sweep `worker` (passes it to trainers)" },
  { name: THREADS_ENV_VAR, meaning: "threads of the native C++ kernels", default: "every core the process may use; a figure's native workers share the cores out", allowed: "an integer from 1 to 256", readBy: "runtime `loadNativeKernels` (through `nativeThreadsSetting`); deep-nets job runner" },
  { name: POOL_ENV_VAR, meaning: "cap on disposed tensor buffers the native backend keeps for reuse", default: "a quarter of the machine's memory", allowed: "a number of MiB >= 0", readBy: "runtime native backend (`registerNativeBackend`, through `nativePoolBytesSetting`)" },
  { name: WORKERS_ENV_VAR, meaning: "training processes a deep-net figure runs at once", default: "one per core on the native backend, else min(2, cores); at most the runs waiting; 1 with a multi-threaded tfjs-node", allowed: "an integer >= 1", readBy: "deep-nets job runner" },
  { name: LOCK_MS_ENV_VAR, meaning: "job lock of queue workers: a dead worker's run is retried after about this long", default: "30000", allowed: "an integer number of milliseconds >= 1000", readBy: "sweep `worker`" },
  { name: REDIS_URL_ENV_VAR, meaning: "the queue (`--queue` alone or absent); may carry the password", default: "unset", allowed: "redis://[user:password@]HOST[:PORT][/db] or rediss://...", readBy: "sweep `sweep --queue`, `worker`" },
  { name: REDIS_PASSWORD_ENV_VAR, meaning: "password for a `--queue` URL given without one", default: "unset", allowed: "a string", readBy: "sweep; docker-compose.yml" },
  { name: PYTHON_ENV_VAR, meaning: "the Python with PyTorch for the training benchmark's PyTorch column", default: "the first of `python3`, `/usr/bin/python3` that imports torch", allowed: "a Python executable", readBy: "bench `training/training-bench.ts`" },
  { name: ENTRY_ENV_VAR, meaning: "which build of the cli the `sam-repro` bin runs", default: "dist when it is newer than the sources, else source; an installed copy always dist", allowed: "source, dist", readBy: "`packages/cli/bin/entry.js` (reads it itself: it runs before any package is loaded)" },
  { name: REQUIRE_NATIVE_ENV_VAR, meaning: "tests: a missing native addon fails the backend tests instead of skipping them (CI)", default: "unset", allowed: "`1` requires; any other value does not", readBy: "runtime `backend-equivalence.test.ts`" },
  { name: REQUIRE_BROWSER_ENV_VAR, meaning: "tests: a missing Chromium fails the browser test instead of skipping it (CI)", default: "unset", allowed: "`1` requires; any other value does not", readBy: "sam `browser.test.ts` (reads it itself: `@sam-repro/sam` depends on nothing of ours)" },
  { name: WORKER_COUNT_ENV_VAR, meaning: "worker containers `docker compose up` starts", default: "2", allowed: "an integer >= 0", readBy: "docker-compose.yml" },
  { name: PEER_DIR_ENV_VAR, meaning: "work directory of the PyTorch parity check (exports, reference runs)", default: "`${TMPDIR:-/tmp}/sam-repro-peer`", allowed: "a directory", readBy: "`tools/peer/run-peer.sh` (a shell script, reads it itself)" },
];

/** An environment to read from: process.env unless a caller passes another (tests, a child's environment). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The value of `name`, with an empty string counted as unset. */
export function readSetting(name: string, env: Environment = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** Sets `name` for the rest of this process and the children it starts (e.g. `--out` moves the reports). */
export function setSetting(name: string, value: string): void {
  process.env[name] = value;
}

/** Variables naming an output directory: set to an empty string they would silently mean the current directory. */
export const DIRECTORY_ENV_VARS = [REPORTS_DIR_ENV_VAR, RUNS_DIR_ENV_VAR] as const;

/** Rejects an empty (or blank) directory variable with a one-line error naming it and what is allowed. */
export function checkDirectorySettings(env: Environment = process.env): void {
  for (const name of DIRECTORY_ENV_VARS) {
    const value = env[name];
    if (value !== undefined && value.trim() === "") {
      throw new InputError(`${name}: "${value}" is empty; set it to a directory or unset it for the default`);
    }
  }
}

/** A profile name: `value` (the flag), else SAM_REPRO_PROFILE, else `cpu`; the error names the source, the value and the allowed values. */
export function parseProfile(value: string | undefined, source = "--profile", env: Environment = process.env): Profile {
  const fromEnvironment = env[PROFILE_ENV_VAR];
  const chosen = value ?? fromEnvironment ?? DEFAULT_PROFILE;
  if ((PROFILES as readonly string[]).includes(chosen)) return chosen as Profile;
  const where = value === undefined && fromEnvironment !== undefined ? PROFILE_ENV_VAR : source;
  throw new InputError(`${where}: unknown profile "${chosen}"; allowed values: ${PROFILES.join(", ")}`);
}

/** Parses a backend choice, failing with a message that names the source and the allowed values. */
export function parseBackendChoice(value: string, source = "--backend"): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(value)) return value as BackendChoice;
  throw new InputError(`${source}: unknown backend "${value}"; allowed values: ${BACKEND_CHOICES.join(", ")}`);
}

/** SAM_REPRO_BACKEND, else `auto`. */
export function backendSetting(env: Environment = process.env): BackendChoice {
  const value = env[BACKEND_ENV_VAR];
  return value === undefined ? "auto" : parseBackendChoice(value, BACKEND_ENV_VAR);
}

/** The reports directory: SAM_REPRO_REPORTS_DIR, else `<workspace>/reports`. */
export function reportsDirSetting(env: Environment = process.env): string {
  return readSetting(REPORTS_DIR_ENV_VAR, env) ?? defaultReportsDir();
}

/** `<workspace>/reports`, the reports directory of the default profile. */
export function defaultReportsDir(): string {
  return path.join(workspaceRoot(), "reports");
}

/** The run cache: SAM_REPRO_RUNS_DIR, else `<workspace>/runs`. */
export function runsDirSetting(env: Environment = process.env): string {
  return readSetting(RUNS_DIR_ENV_VAR, env) ?? path.join(workspaceRoot(), "runs");
}

/** SAM_REPRO_DATA_DIR, or undefined when unset (each reader then has its default, see `defaultDataDirectories`). */
export function dataDirSetting(env: Environment = process.env): string | undefined {
  return readSetting(DATA_DIR_ENV_VAR, env);
}

/** The directories searched for datasets when neither `--data-dir` nor SAM_REPRO_DATA_DIR is given: `<workspace>/data` (where downloads go), `<workspace>/../shared/datasets`. */
export function defaultDataDirectories(): [workspaceData: string, sharedDatasets: string] {
  const root = workspaceRoot();
  return [path.join(root, "data"), path.resolve(root, "..", "shared", "datasets")];
}

/** Whether SAM_REPRO_QUIET=1 hides progress. */
export function quietSetting(env: Environment = process.env): boolean {
  return env[QUIET_ENV_VAR] === "1";
}

/** SAM_REPRO_THREADS, else every core the process may use. */
export function nativeThreadsSetting(env: Environment = process.env): number {
  const value = readSetting(THREADS_ENV_VAR, env);
  if (value === undefined) return os.availableParallelism();
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 256) {
    throw new InputError(`${THREADS_ENV_VAR}: "${value}" is not a thread count; allowed: an integer from 1 to 256`);
  }
  return count;
}

/** SAM_REPRO_NATIVE_POOL_MB in bytes, else a quarter of the machine's memory. */
export function nativePoolBytesSetting(env: Environment = process.env): number {
  const value = readSetting(POOL_ENV_VAR, env);
  if (value === undefined) return Math.floor(os.totalmem() / 4);
  const megabytes = Number(value);
  if (!Number.isFinite(megabytes) || megabytes < 0) {
    throw new InputError(`${POOL_ENV_VAR}: "${value}" is not a size in MiB; allowed: a number >= 0`);
  }
  return megabytes * 1024 * 1024;
}

/** SAM_REPRO_WORKERS, or undefined when unset (the job runner then sizes the pool from the backend and cores). */
export function workersSetting(env: Environment = process.env): number | undefined {
  const value = readSetting(WORKERS_ENV_VAR, env);
  if (value === undefined) return undefined;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) {
    throw new InputError(`${WORKERS_ENV_VAR}: "${value}" is not allowed; allowed: an integer >= 1, or unset for one worker per core`);
  }
  return count;
}

/** The queue workers' lock duration: SAM_REPRO_QUEUE_LOCK_MS, else 30 s (BullMQ's default; tests shorten it). */
export function queueLockMsSetting(env: Environment = process.env): number {
  const text = readSetting(LOCK_MS_ENV_VAR, env);
  if (text === undefined) return 30_000;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1000) throw new InputError(`${LOCK_MS_ENV_VAR}: "${text}" is not allowed; allowed: an integer number of milliseconds >= 1000`);
  return value;
}

/** SAM_REPRO_REDIS_URL (parsed and checked by the sweep package), or undefined. */
export function redisUrlSetting(env: Environment = process.env): string | undefined {
  return readSetting(REDIS_URL_ENV_VAR, env);
}

/** SAM_REPRO_REDIS_PASSWORD, or undefined. */
export function redisPasswordSetting(env: Environment = process.env): string | undefined {
  return readSetting(REDIS_PASSWORD_ENV_VAR, env);
}

/** The Python executables the training benchmark tries for its PyTorch column, in order. */
export function pythonCandidatesSetting(env: Environment = process.env): string[] {
  const chosen = readSetting(PYTHON_ENV_VAR, env);
  return [...(chosen !== undefined ? [chosen] : []), "python3", "/usr/bin/python3"];
}

/** Whether SAM_REPRO_REQUIRE_NATIVE=1 turns a missing native addon into a test failure. */
export function requireNativeSetting(env: Environment = process.env): boolean {
  return env[REQUIRE_NATIVE_ENV_VAR] === "1";
}
