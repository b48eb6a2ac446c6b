import { accessSync, constants, readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import {
  CIFAR10_SHA256,
  CIFAR_LAYOUTS,
  DATA_DIR_ENV_VAR,
  InputError,
  defaultDataDirectories,
  findDatasetDirectory,
  locateDataFile,
  readVerifiedFile,
  resolveDataDirectory,
} from "@sam-repro/runner";
import { concatImageSets, decodeRecords, type DatasetName, type ImageSet } from "./cifar-format.js";

// Where the files are and reading them checked live in @sam-repro/runner (convergence reads CIFAR-10 too).
export { CIFAR10_SHA256, DATA_DIR_ENV_VAR, defaultDataDirectories, findDatasetDirectory, readVerifiedFile, resolveDataDirectory };

/** The error code when `directory` exists but this user cannot list or enter it, else null. */
function unreadableDirectory(directory: string): string | null {
  try {
    accessSync(directory, constants.R_OK | constants.X_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    return code === "ENOENT" || code === "ENOTDIR" ? null : code;
  }
}

export interface CifarData {
  dataset: DatasetName;
  train: ImageSet;
  test: ImageSet;
  directory: string;
}

export interface LoadOptions {
  /** Data directory (flag); else SAM_REPRO_DATA_DIR; else the default directories. */
  dataDirectory?: string;
  /** Load only the test set (the training set is left empty): used by evaluation-only commands. */
  testOnly?: boolean;
}

/** Loads a CIFAR dataset's 50,000 training and 10,000 test images from the original binary files. */
export function loadCifar(dataset: DatasetName, options: LoadOptions = {}): CifarData {
  const dataDirectory = resolveDataDirectory(dataset, options.dataDirectory);
  const directory = findDatasetDirectory(dataset, dataDirectory);
  if (directory == null) {
    // A directory that exists but cannot be listed hides its files: say that, not "no file".
    for (const candidate of [...CIFAR_LAYOUTS[dataset].directories.map((name) => path.join(dataDirectory, name)), dataDirectory]) {
      const problem = unreadableDirectory(candidate);
      if (problem) throw new InputError(`${dataset}: cannot read the data directory ${candidate} (${problem}); check its permissions`);
    }
    throw new InputError(
      `${dataset}: no ${CIFAR_LAYOUTS[dataset].test.file}[.gz] under ${dataDirectory} (looked in ${CIFAR_LAYOUTS[dataset].directories.join(", ")} and the directory itself)`,
    );
  }
  const layout = CIFAR_LAYOUTS[dataset];
  const read = (entry: { file: string; records: number }): ImageSet => {
    const file = locateDataFile(directory, entry.file);
    if (file == null) throw new InputError(`${dataset}: missing ${entry.file}[.gz] in ${directory}`);
    return decodeChecked(readVerifiedFile(file, dataset, entry.records), dataset, file);
  };
  const test = read(layout.test);
  const train = options.testOnly
    ? { images: new Uint8Array(0), labels: new Int32Array(0), count: 0, classes: test.classes }
    : concatImageSets(layout.train.map(read));
  return { dataset, train, test, directory };
}

function decodeChecked(bytes: Uint8Array, dataset: DatasetName, file: string): ImageSet {
  try {
    return decodeRecords(bytes, dataset);
  } catch (error) {
    throw new InputError(`${file}: ${(error as Error).message}; the file is corrupted or not a ${dataset} file`);
  }
}

/** Class names from batches.meta.txt (CIFAR-10) or fine_label_names.txt (CIFAR-100), when present. */
export function readClassNames(dataset: DatasetName, directory: string): string[] | null {
  const file = locateDataFile(directory, dataset === "cifar10" ? "batches.meta.txt" : "fine_label_names.txt");
  if (file == null) return null;
  const raw = readFileSync(file);
  const text = (file.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
  return text.split("\n").map((line) => line.trim()).filter(Boolean);
}

/**
 * Null when the dataset's files can be read, else why not (the figures that report their claims "not run" without
 * the data use it). The test set alone, one checksum-verified file, shows the files are there without decoding the
 * 50k training images.
 */
export function missingDataReason(dataset: DatasetName, options: Pick<LoadOptions, "dataDirectory"> = {}): string | null {
  try {
    loadCifar(dataset, { ...options, testOnly: true });
    return null;
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
}
