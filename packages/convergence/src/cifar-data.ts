/**
 * Reads the two-class CIFAR-10 subset from the shared datasets directory (gzipped canonical binary files).
 * A missing directory or file is reported as such, never thrown: the figures then say "not run".
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { DATA_DIR_ENV_VAR, dataDirSetting, defaultDataDirectories } from "@sam-repro/runner";
import { buildFeatureMatrix, selectTwoClasses, type FeatureMatrix } from "./cifar-features.js";

export { DATA_DIR_ENV_VAR };

/** The datasets directory: $SAM_REPRO_DATA_DIR, else <workspace>/../shared/datasets (where the gzipped files are). */
export function datasetsDir(): string {
  return dataDirSetting() ?? defaultDataDirectories()[1];
}

export interface CifarSubsetOptions {
  /** A file of cifar-10/, e.g. "data_batch_1.bin.gz" (plain .bin also accepted). */
  file: string;
  classes: [number, number];
  maxExamples: number;
  pool: number;
}

export type CifarSubset =
  | { found: true; features: FeatureMatrix; labels: Float64Array; file: string }
  | { found: false; reason: string; file: string };

/** Loads the subset, or says why it could not (missing file, unreadable data). */
export function loadCifarSubset(options: CifarSubsetOptions, directory = datasetsDir()): CifarSubset {
  const file = path.join(directory, "cifar-10", options.file);
  if (!existsSync(file)) return { found: false, reason: `CIFAR-10 file not found: ${file} (set ${DATA_DIR_ENV_VAR})`, file };
  let bytes: Uint8Array;
  try {
    const content = readFileSync(file);
    bytes = file.endsWith(".gz") ? gunzipSync(content) : content;
  } catch (error) {
    return { found: false, reason: `CIFAR-10 file unreadable: ${file}: ${(error as Error).message}`, file };
  }
  const records = selectTwoClasses(bytes, options.classes, options.maxExamples);
  if (records.offsets.length < 2) {
    return { found: false, reason: `CIFAR-10 file ${file} has fewer than 2 examples of classes ${options.classes.join(", ")}`, file };
  }
  return { found: true, features: buildFeatureMatrix(records, options.pool), labels: Float64Array.from(records.labels), file };
}
