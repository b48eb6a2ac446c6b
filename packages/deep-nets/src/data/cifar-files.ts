import { createHash } from "node:crypto";
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { DATA_DIR_ENV_VAR, InputError, dataDirSetting, defaultDataDirectories } from "@sam-repro/runner";
import {
  concatImageSets,
  decodeRecords,
  recordBytes,
  type DatasetName,
  type ImageSet,
} from "./cifar-format.js";

export { DATA_DIR_ENV_VAR, defaultDataDirectories };

/**
 * sha256 of the uncompressed CIFAR-10 binary files as distributed in `cifar-10-binary.tar.gz`
 * (these are the files whose md5 the dataset's authors publish; /work/shared/datasets/README.md).
 */
export const CIFAR10_SHA256: Readonly<Record<string, string>> = {
  "data_batch_1.bin": "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5",
  "data_batch_2.bin": "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed",
  "data_batch_3.bin": "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67",
  "data_batch_4.bin": "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48",
  "data_batch_5.bin": "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add",
  "test_batch.bin": "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b",
};

interface DatasetLayout {
  /** Directory names the dataset may sit in under a data directory (ours, then the official archive's). */
  directories: string[];
  train: { file: string; records: number }[];
  test: { file: string; records: number };
}

const LAYOUTS: Record<DatasetName, DatasetLayout> = {
  cifar10: {
    directories: ["cifar-10", "cifar-10-batches-bin"],
    train: [1, 2, 3, 4, 5].map((k) => ({ file: `data_batch_${k}.bin`, records: 10_000 })),
    test: { file: "test_batch.bin", records: 10_000 },
  },
  cifar100: {
    directories: ["cifar-100", "cifar-100-binary"],
    train: [{ file: "train.bin", records: 50_000 }],
    test: { file: "test.bin", records: 10_000 },
  },
};

/**
 * The data directory: the explicit one (flag), else SAM_REPRO_DATA_DIR, else the first default
 * directory (`<workspace>/data`, `<workspace>/../shared/datasets`) that holds `dataset`.
 * An explicit directory that does not exist is an input error, not a silent fallback.
 */
export function resolveDataDirectory(dataset: DatasetName, explicit?: string): string {
  const chosen = explicit ?? dataDirSetting();
  if (chosen != null && chosen !== "") {
    if (!existsSync(chosen)) {
      const source = explicit != null ? "--data-dir" : DATA_DIR_ENV_VAR;
      throw new InputError(`${source}: data directory "${chosen}" does not exist`);
    }
    return chosen;
  }
  const candidates = defaultDataDirectories();
  for (const directory of candidates) {
    if (findDatasetDirectory(dataset, directory) != null) return directory;
  }
  throw new InputError(
    `${dataset}: no data found in ${candidates.join(" or ")}; pass --data-dir, set ${DATA_DIR_ENV_VAR}, ` +
      `or run \`npx sam-repro data download ${dataset}\``,
  );
}

/** The directory under `dataDirectory` that holds the dataset's files, or null. */
export function findDatasetDirectory(dataset: DatasetName, dataDirectory: string): string | null {
  const layout = LAYOUTS[dataset];
  // The data directory may also be the dataset directory itself.
  for (const directory of [...layout.directories.map((name) => path.join(dataDirectory, name)), dataDirectory]) {
    if (locateFile(directory, layout.test.file) != null) return directory;
  }
  return null;
}

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

/** `name` or `name.gz` inside `directory`, whichever exists (plain first). */
function locateFile(directory: string, name: string): string | null {
  for (const candidate of [path.join(directory, name), path.join(directory, `${name}.gz`)]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/**
 * Reads one binary file (plain or gzipped) and checks it: its size must be `records` whole records
 * and, for the known CIFAR-10 files, its sha256 must match the original's. A truncated gzip stream, a
 * wrong size or a checksum mismatch is an InputError that names the file and what was expected.
 */
export function readVerifiedFile(file: string, dataset: DatasetName, records: number): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const remedy = code === "EACCES" || code === "EPERM" ? "make it readable by this user (chmod u+r)" : "copy or download it again";
    throw new InputError(`${file}: cannot read the file (${code}); ${remedy}`);
  }
  if (file.endsWith(".gz")) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new InputError(
        `${file}: cannot decompress (${(error as Error).message}); the file is truncated or corrupted — download it again`,
      );
    }
  }
  const expectedBytes = records * recordBytes(dataset);
  if (bytes.length !== expectedBytes) {
    throw new InputError(
      `${file}: ${bytes.length} bytes, expected ${expectedBytes} (${records} records of ${recordBytes(dataset)} bytes); ` +
        `the file is ${bytes.length < expectedBytes ? "truncated" : "not a " + dataset + " batch file"}`,
    );
  }
  const base = path.basename(file).replace(/\.gz$/, "");
  const expectedHash = dataset === "cifar10" ? CIFAR10_SHA256[base] : undefined;
  if (expectedHash) {
    const actual = createHash("sha256").update(bytes).digest("hex");
    if (actual !== expectedHash) {
      throw new InputError(
        `${file}: sha256 ${actual} does not match the original CIFAR-10 ${base} (${expectedHash}); the file is corrupted — download it again`,
      );
    }
  }
  return bytes;
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
    for (const candidate of [...LAYOUTS[dataset].directories.map((name) => path.join(dataDirectory, name)), dataDirectory]) {
      const problem = unreadableDirectory(candidate);
      if (problem) throw new InputError(`${dataset}: cannot read the data directory ${candidate} (${problem}); check its permissions`);
    }
    throw new InputError(
      `${dataset}: no ${LAYOUTS[dataset].test.file}[.gz] under ${dataDirectory} (looked in ${LAYOUTS[dataset].directories.join(", ")} and the directory itself)`,
    );
  }
  const layout = LAYOUTS[dataset];
  const read = (entry: { file: string; records: number }): ImageSet => {
    const file = locateFile(directory, entry.file);
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
  const file = locateFile(directory, dataset === "cifar10" ? "batches.meta.txt" : "fine_label_names.txt");
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
