import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { InputError } from "@sam-repro/runner";
import { decodeRecords, encodeRecords } from "./cifar-format.js";
import { CIFAR10_SHA256, DATA_DIR_ENV_VAR, findDatasetDirectory, loadCifar, readClassNames, resolveDataDirectory, type CifarData } from "./cifar-files.js";
import { randomImageSet } from "./test-files.js";

// The real CIFAR-10 (CI points SAM_REPRO_DATA_DIR at ../shared/datasets); the tests that need it skip without it.
const REAL_DATA = process.env[DATA_DIR_ENV_VAR] ?? path.resolve(import.meta.dirname, "../../../../../shared/datasets");
const haveRealData = existsSync(path.join(REAL_DATA, "cifar-10", "test_batch.bin.gz"));
const describeRealData = haveRealData ? describe : describe.skip;
if (!haveRealData) console.warn(`cifar-files.test.ts: real-data tests skipped: no CIFAR-10 in ${REAL_DATA} (set ${DATA_DIR_ENV_VAR})`);

let temporary: string;

beforeAll(() => {
  temporary = mkdtempSync(path.join(os.tmpdir(), "deep-nets-data-"));
});
afterAll(() => rmSync(temporary, { recursive: true, force: true }));

/**
 * CIFAR-10 records with valid labels (i mod 10) and one hashed pixel pattern copied into each (the seeded
 * generator would take seconds for 30 MB); 10,000 of them make a test_batch.bin of the right size that cannot match the original's sha256.
 */
function generatedTestBatch(records = 10_000): Uint8Array {
  const record = Uint8Array.from({ length: 3073 }, (_, i) => (Math.imul(i, 2654435761) >>> 24) & 0xff);
  const bytes = new Uint8Array(records * 3073);
  for (let r = 0; r < records; r++) {
    bytes.set(record, r * 3073);
    bytes[r * 3073] = r % 10;
  }
  return bytes;
}

describeRealData("CIFAR-10 from the original binary files", () => {
  let cifar10: CifarData;
  beforeAll(() => {
    cifar10 = loadCifar("cifar10", { dataDirectory: REAL_DATA });
  });

  test("first labels, counts and class balance match the published dataset", () => {
    expect(Array.from(cifar10.train.labels.subarray(0, 10))).toEqual([6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
    expect(Array.from(cifar10.test.labels.subarray(0, 10))).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    expect(cifar10.train.count).toBe(50_000);
    expect(cifar10.test.count).toBe(10_000);
    const perClass = new Array(10).fill(0);
    for (const label of cifar10.train.labels) perClass[label]++;
    expect(perClass).toEqual(new Array(10).fill(5000));
    expect(readClassNames("cifar10", cifar10.directory)?.slice(0, 3)).toEqual(["airplane", "automobile", "bird"]);
  });

  test("pixels are decoded into height x width x channel order (per-channel means of the known dataset)", () => {
    const sums = [0, 0, 0];
    const images = cifar10.train.images;
    for (let i = 0; i < images.length; i += 3) {
      sums[0] += images[i]!;
      sums[1] += images[i + 1]!;
      sums[2] += images[i + 2]!;
    }
    const pixels = images.length / 3;
    // Known CIFAR-10 channel means (0.4914, 0.4822, 0.4465) * 255; a plane/channel mix-up would swap them.
    expect(sums[0] / pixels).toBeCloseTo(125.307, 2);
    expect(sums[1] / pixels).toBeCloseTo(122.95, 2);
    expect(sums[2] / pixels).toBeCloseTo(113.865, 2);
  });
});

describe("CIFAR-10 file checks (generated files)", () => {
  test("a truncated gzip file is an InputError that says so", () => {
    const directory = path.join(temporary, "truncated", "cifar-10");
    mkdirSync(directory, { recursive: true });
    // Decompression fails before any size check, so a short file shows it.
    const gz = gzipSync(generatedTestBatch(200), { level: 1 });
    writeFileSync(path.join(directory, "test_batch.bin.gz"), gz.subarray(0, gz.length - 500));
    const load = () => loadCifar("cifar10", { dataDirectory: path.dirname(directory), testOnly: true });
    expect(load).toThrow(InputError);
    expect(load).toThrow(/truncated or corrupted/);
  });

  test("a plain file that is too short, or has the right size but other bytes, is rejected (size, then sha256)", () => {
    const directory = path.join(temporary, "corrupted", "cifar-10-batches-bin");
    mkdirSync(directory, { recursive: true });
    const bytes = generatedTestBatch();
    writeFileSync(path.join(directory, "test_batch.bin"), bytes.subarray(0, bytes.length - 3073));
    const load = () => loadCifar("cifar10", { dataDirectory: path.dirname(directory), testOnly: true });
    expect(load).toThrow(InputError);
    expect(load).toThrow(/truncated/);
    writeFileSync(path.join(directory, "test_batch.bin"), bytes);
    expect(load).toThrow(new RegExp(`sha256 [0-9a-f]{64} does not match the original CIFAR-10 test_batch.bin \\(${CIFAR10_SHA256["test_batch.bin"]}\\)`));
  });

  test("a missing file names the file and the directories searched", () => {
    const directory = path.join(temporary, "empty");
    mkdirSync(directory, { recursive: true });
    expect(() => loadCifar("cifar10", { dataDirectory: directory })).toThrow(/cifar10: no test_batch.bin\[.gz\] under .*empty \(looked in cifar-10, cifar-10-batches-bin/);
  });

  test("CIFAR-10 records: encode/decode round trip keeps the label byte first and the R, G, B planes apart", () => {
    const set = randomImageSet(4, 10, 5);
    const bytes = encodeRecords(set, "cifar10");
    expect(bytes.length).toBe(4 * 3073);
    expect(bytes[0]).toBe(set.labels[0]);
    expect(bytes[1]).toBe(set.images[0]);
    expect(bytes[1 + 1024]).toBe(set.images[1]);
    expect(bytes[3073]).toBe(set.labels[1]);
    expect(decodeRecords(bytes, "cifar10")).toEqual(set);
  });
});

describe("CIFAR-100 binary format (loading generated files: download.test.ts)", () => {
  test("encode/decode round trip keeps the R, G, B planes apart", () => {
    const set = randomImageSet(3, 100, 1);
    const bytes = encodeRecords(set, "cifar100");
    // Record 0: byte 2 is the first red value = pixel (0, 0) channel 0; byte 2 + 1024 its green value.
    expect(bytes[1]).toBe(set.labels[0]);
    expect(bytes[2]).toBe(set.images[0]);
    expect(bytes[2 + 1024]).toBe(set.images[1]);
    expect(bytes[2 + 2048]).toBe(set.images[2]);
    expect(decodeRecords(bytes, "cifar100")).toEqual(set);
  });

  test("a label outside 0..99 is reported as a corrupted file", () => {
    const set = randomImageSet(1, 100, 2);
    const bytes = encodeRecords(set, "cifar100");
    bytes[1] = 150;
    expect(() => decodeRecords(bytes, "cifar100")).toThrow(/label 150 is outside 0..99/);
  });
});

describe("data directory", () => {
  test("flag, then environment variable; an explicit directory that does not exist is an error naming its source", () => {
    const previous = process.env[DATA_DIR_ENV_VAR];
    try {
      process.env[DATA_DIR_ENV_VAR] = temporary;
      expect(resolveDataDirectory("cifar10")).toBe(temporary);
      const other = mkdtempSync(path.join(os.tmpdir(), "deep-nets-data-flag-"));
      expect(resolveDataDirectory("cifar10", other)).toBe(other);
      rmSync(other, { recursive: true, force: true });
      expect(() => resolveDataDirectory("cifar10", path.join(temporary, "missing"))).toThrow(/--data-dir: data directory .* does not exist/);
      process.env[DATA_DIR_ENV_VAR] = path.join(temporary, "missing");
      expect(() => resolveDataDirectory("cifar10")).toThrow(new RegExp(DATA_DIR_ENV_VAR));
    } finally {
      if (previous === undefined) delete process.env[DATA_DIR_ENV_VAR];
      else process.env[DATA_DIR_ENV_VAR] = previous;
    }
  });

  const besideWorkspace = path.resolve(import.meta.dirname, "../../../../../shared/datasets");
  (existsSync(path.join(besideWorkspace, "cifar-10", "test_batch.bin.gz")) ? test : test.skip)(
    "without flag or variable, ../shared/datasets beside the workspace is found (unless <workspace>/data holds the data)",
    () => {
      const previous = process.env[DATA_DIR_ENV_VAR];
      delete process.env[DATA_DIR_ENV_VAR];
      try {
        const workspaceData = path.resolve(import.meta.dirname, "../../../../data");
        const expected = existsSync(workspaceData) && findDatasetDirectory("cifar10", workspaceData) ? workspaceData : besideWorkspace;
        expect(path.resolve(resolveDataDirectory("cifar10"))).toBe(expected);
      } finally {
        if (previous !== undefined) process.env[DATA_DIR_ENV_VAR] = previous;
      }
    },
  );
});
