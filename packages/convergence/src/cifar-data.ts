/**
 * Reads the two-class CIFAR-10 subset through @sam-repro/runner's one resolver (SAM_REPRO_DATA_DIR, else the first
 * default directory that holds CIFAR-10), each file checked against its size and the sha256 of the original. A
 * missing, unreadable or corrupted file is reported as such, never thrown: the figures then say "not run".
 */
import path from "node:path";
import { CIFAR_LAYOUTS, DATA_DIR_ENV_VAR, InputError, findDatasetDirectory, locateDataFile, readVerifiedFile, resolveDataDirectory } from "@sam-repro/runner";
import { buildFeatureMatrix, selectTwoClasses, type FeatureMatrix } from "./cifar-features.js";

export { DATA_DIR_ENV_VAR };

export interface CifarSubsetOptions {
  /** A file of CIFAR-10, e.g. "data_batch_1.bin.gz" (found plain or gzipped). */
  file: string;
  classes: [number, number];
  maxExamples: number;
  pool: number;
}

export type CifarSubset =
  | { found: true; features: FeatureMatrix; labels: Float64Array; file: string }
  | { found: false; reason: string; file: string };

/** The directory that holds the CIFAR-10 files (in `dataDirectory`, else as the resolver finds it), or why there is none. */
export function cifar10Directory(dataDirectory?: string): { directory: string } | { reason: string } {
  try {
    const root = resolveDataDirectory("cifar10", dataDirectory);
    const directory = findDatasetDirectory("cifar10", root);
    return directory ? { directory } : { reason: `CIFAR-10 not found: no ${CIFAR_LAYOUTS.cifar10.test.file}[.gz] under ${root} (set ${DATA_DIR_ENV_VAR})` };
  } catch (error) {
    if (error instanceof InputError) return { reason: `CIFAR-10 not found: ${error.message}` };
    throw error;
  }
}

/** Loads the subset from `dataDirectory` (default: the resolver's), or says why it could not (missing, unreadable, corrupted). */
export function loadCifarSubset(options: CifarSubsetOptions, dataDirectory?: string): CifarSubset {
  const located = cifar10Directory(dataDirectory);
  if ("reason" in located) return { found: false, reason: located.reason, file: options.file };
  const name = options.file.replace(/\.gz$/, "");
  const layout = CIFAR_LAYOUTS.cifar10;
  const entry = [...layout.train, layout.test].find((candidate) => candidate.file === name);
  const file = locateDataFile(located.directory, name);
  if (!entry || !file) {
    return { found: false, reason: `CIFAR-10 file not found: ${options.file} in ${located.directory} (set ${DATA_DIR_ENV_VAR})`, file: path.join(located.directory, options.file) };
  }
  let bytes: Uint8Array;
  try {
    bytes = readVerifiedFile(file, "cifar10", entry.records);
  } catch (error) {
    if (error instanceof InputError) return { found: false, reason: `CIFAR-10 file unusable: ${error.message}`, file };
    throw error;
  }
  const records = selectTwoClasses(bytes, options.classes, options.maxExamples);
  if (records.offsets.length < 2) {
    return { found: false, reason: `CIFAR-10 file ${file} has fewer than 2 examples of classes ${options.classes.join(", ")}`, file };
  }
  return { found: true, features: buildFeatureMatrix(records, options.pool), labels: Float64Array.from(records.labels), file };
}
