import { describe, expect, test } from "@jest/globals";
import { mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { InputError } from "@sam-repro/runner";
import { loadCifar } from "./cifar-files.js";

describe("CIFAR files that exist but cannot be read", () => {
  test("a read error names the file and the cause, not a missing file", () => {
    // /proc/self/mem is a regular file whose read at offset 0 fails (EIO): a real read error, even as root.
    const dataDirectory = mkdtempSync(path.join(os.tmpdir(), "deep-nets-unreadable-"));
    const directory = path.join(dataDirectory, "cifar-10-batches-bin");
    mkdirSync(directory);
    symlinkSync("/proc/self/mem", path.join(directory, "test_batch.bin"));
    let thrown: unknown;
    try {
      loadCifar("cifar10", { dataDirectory, testOnly: true });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as Error).message).toBe(`${path.join(directory, "test_batch.bin")}: cannot read the file (EIO); copy or download it again`);
  });
});
