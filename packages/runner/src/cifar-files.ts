/**
 * The CIFAR binary files on disk, the one resolver every package uses (deep-nets' loaders and downloads,
 * convergence's two-class subset): the data directory (--data-dir, SAM_REPRO_DATA_DIR, then the default
 * directories), the dataset's directory inside it, and a file's bytes checked against the size of whole records
 * and, for the known CIFAR-10 files, against the sha256 of the originals. Decoding the records is deep-nets' job.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { InputError } from "./errors.js";
import { DATA_DIR_ENV_VAR, dataDirSetting, defaultDataDirectories } from "./settings.js";

/** The datasets: CIFAR-10 and CIFAR-100 in their binary versions. */
export type DatasetName = "cifar10" | "cifar100";

/** Bytes of one record: the label byte (CIFAR-100: coarse and fine label bytes), then 32 x 32 x 3 pixel bytes. */
export function recordBytes(dataset: DatasetName): number {
  return (dataset === "cifar10" ? 1 : 2) + 32 * 32 * 3;
}

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

/** Where a dataset's files sit and how many records each holds. */
export interface DatasetLayout {
  /** Directory names the dataset may sit in under a data directory (ours, then the official archive's). */
  directories: string[];
  train: { file: string; records: number }[];
  test: { file: string; records: number };
}

/** The layout of each dataset (the official archives' file names). */
export const CIFAR_LAYOUTS: Readonly<Record<DatasetName, DatasetLayout>> = {
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
  const layout = CIFAR_LAYOUTS[dataset];
  // The data directory may also be the dataset directory itself.
  for (const directory of [...layout.directories.map((name) => path.join(dataDirectory, name)), dataDirectory]) {
    if (locateDataFile(directory, layout.test.file) != null) return directory;
  }
  return null;
}

/** `name` or `name.gz` inside `directory`, whichever exists (plain first). */
export function locateDataFile(directory: string, name: string): string | null {
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
