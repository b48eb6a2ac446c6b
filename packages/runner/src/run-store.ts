/**
 * The run store: every cached run of every package lives in its own directory
 * `<runsDir>/<package>/<profile>/<name>-<hash>/` (runsDir = `runsDirSetting()`, `runs/` by default), found again by
 * the hash of the run's identity. A run is finished when its `result.json` exists and names that hash; result.json
 * is written last, atomically and under the directory's one-writer lock, so a reader never takes a half-stored run.
 * What else a run directory holds (weights, checkpoints, metrics) is its package's business.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { readJsonIfExists, writeJsonAtomic } from "./atomic.js";
import { acquireDirectoryLock } from "./lock.js";
import { runsDirSetting } from "./settings.js";

/** The file whose presence (with the run's hash) marks a run as finished. */
export const RESULT_FILE = "result.json";

/** What a run's numbers depend on: the code's result format version, the backend that computes it, its full config. */
export interface RunIdentity {
  /** Bumped by the owning package when a code change changes results, so older runs are not reused. */
  version: number;
  /** Backends round differently, so the same config on another backend is another run. */
  backend: string;
  config: unknown;
}

/**
 * The identity hash of a run: the first 12 hex digits of
 * sha256(JSON.stringify({ version, backend, config })), with the keys of every object inside `config` sorted, so
 * two configs that differ only in key order are the same run. Runs with equal hashes are the same run.
 */
export function runHash(identity: RunIdentity): string {
  const canonical = JSON.stringify({ version: identity.version, backend: identity.backend, config: sortKeys(identity.config) });
  return createHash("sha256").update(canonical).digest("hex").slice(0, 12);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
  }
  return value;
}

/** Where one run lives in the store. */
export interface RunAddress {
  /** The package that owns the run (`deep-nets`, `convergence`). */
  package: string;
  profile: string;
  /** A readable name (a job name, a figure id); the hash makes the directory unique. */
  name: string;
  /** runHash of the run's identity. */
  hash: string;
}

/** The directory of a run: `<runsDir>/<package>/<profile>/<name>-<hash>`. */
export function runDirectory(address: RunAddress, runsDir: string = runsDirSetting()): string {
  return path.join(runsDir, address.package, address.profile, `${address.name}-${address.hash}`);
}

/** A stored result names the identity hash it was computed for. */
export interface HashedResult {
  hash: string;
}

/** result.json of `directory` whatever run it belongs to, or null when there is none. */
export function readResultFile<R>(directory: string): R | null {
  return readJsonIfExists<R>(path.join(directory, RESULT_FILE));
}

/**
 * The finished result in `directory` when it was written for `hash`, else null: no result yet, or one computed for
 * another identity (another backend or code version) that happens to share the directory name.
 */
export function readFinishedResult<R extends HashedResult>(directory: string, hash: string): R | null {
  const stored = readResultFile<R>(directory);
  return stored && stored.hash === hash ? stored : null;
}

/** Writes result.json atomically (the commit point of a run); the caller is the directory's one writer. */
export function writeResultFile(directory: string, result: HashedResult): void {
  writeJsonAtomic(path.join(directory, RESULT_FILE), result);
}

/**
 * Stores a finished run as the one writer of its directory: takes the directory lock (LockHeldError, exit 2, when
 * another process holds it), runs `writeFiles` for the run's other files, then writes result.json last, so a run
 * interrupted in between is not taken as finished. The lock is released however it ends. With `keepExisting`, a
 * result already stored for the same hash (a deterministic computation another process finished first) is kept
 * and returned instead.
 */
export function commitRunResult<R extends HashedResult>(
  directory: string,
  result: R,
  options: { purpose: string; writeFiles?: () => void; keepExisting?: boolean },
): R {
  mkdirSync(directory, { recursive: true });
  const lock = acquireDirectoryLock(directory, options.purpose);
  try {
    const existing = options.keepExisting ? readFinishedResult<R>(directory, result.hash) : null;
    if (existing) return existing;
    options.writeFiles?.();
    writeResultFile(directory, result);
    return result;
  } finally {
    lock.release();
  }
}
