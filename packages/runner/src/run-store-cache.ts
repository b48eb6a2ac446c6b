/**
 * A keyed cache of small JSON results in the run store (run-store.ts), for deterministic computations: each
 * key's result is one run directory `<runsDir>/<package>/<profile>/<name>-<hash>/result.json`, stored as soon as
 * it is computed, so an interrupted caller resumes with the results done and a later call reuses them.
 */
import { commitRunResult, readFinishedResult, runDirectory, runHash } from "./run-store.js";
import { runsDirSetting } from "./settings.js";

/** Returns the stored value for `key`, or computes it with `compute`, stores it and returns it. */
export type ResultCache = <R>(key: string, compute: () => R) => R;

/** Where a keyed cache lives and what its results depend on besides the key. */
export interface KeyedCacheOptions {
  package: string;
  profile: string;
  /** The readable part of every directory name (e.g. the figure id). */
  name: string;
  /** The owner's result format version: bump it when a code change changes results. */
  version: number;
  /** What computes the values (e.g. "js-float64"), part of the identity as for any run. */
  backend: string;
  /** Everything besides the key that the values depend on (e.g. the profile's settings of the figure). */
  settings: unknown;
  /** The store's root (default: `runsDirSetting()` when the cache is made). */
  runsDir?: string;
}

/** result.json of one cached key: the key is kept so that a directory can be told apart by reading it. */
interface CachedResult {
  hash: string;
  key: string;
  value: unknown;
}

/**
 * A cache whose value for `key` lives in the run directory named `name` and
 * hash = runHash({ version, backend, config: { name, settings, key } }). A value is written (atomically, under the
 * directory's lock) right after it is computed; NaN and infinities are stored as strings, as writeJsonAtomic does,
 * and come back as numbers (reviveNumbers). Typed arrays come back as plain arrays.
 */
export function keyedResultCache(options: KeyedCacheOptions): ResultCache {
  const runsDir = options.runsDir ?? runsDirSetting();
  const locate = (key: string) => {
    const hash = runHash({ version: options.version, backend: options.backend, config: { name: options.name, settings: options.settings, key } });
    return { hash, directory: runDirectory({ package: options.package, profile: options.profile, name: options.name, hash }, runsDir) };
  };
  return <R>(key: string, compute: () => R): R => {
    const { hash, directory } = locate(key);
    const stored = readFinishedResult<CachedResult>(directory, hash);
    if (stored) return reviveNumbers(stored.value) as R;
    const value = compute();
    // The lock covers the write only: the computation is deterministic, so a second process that computed the
    // same key meanwhile has stored the same value, and its result is kept.
    const result: CachedResult = { hash, key, value };
    commitRunResult(directory, result, { purpose: `sam-repro: store ${options.package} ${options.name} result`, keepExisting: true });
    return value;
  };
}

/** The inverse of writeJsonAtomic's number encoding: the strings "NaN", "Infinity", "-Infinity" become numbers again. */
export function reviveNumbers(value: unknown): unknown {
  if (value === "NaN") return Number.NaN;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  if (Array.isArray(value)) return value.map(reviveNumbers);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, reviveNumbers(inner)]));
  }
  return value;
}
