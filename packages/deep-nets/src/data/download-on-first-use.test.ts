import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { InputError } from "@sam-repro/runner";
import { DATA_DIR_ENV_VAR } from "./cifar-files.js";
import { encodeRecords } from "./cifar-format.js";
import { ensureCifar } from "./download.js";
import { randomImageSet } from "./test-files.js";

let temporary: string;
let archiveUrl: string;
const savedDataDir = process.env[DATA_DIR_ENV_VAR];

beforeAll(() => {
  delete process.env[DATA_DIR_ENV_VAR];
  temporary = mkdtempSync(path.join(os.tmpdir(), "deep-nets-first-use-"));
  // A small archive in the official layout (cifar-10-batches-bin/...), served from a file:// address: no network.
  const source = path.join(temporary, "archive-source", "cifar-10-batches-bin");
  mkdirSync(source, { recursive: true });
  writeFileSync(path.join(source, "test_batch.bin"), encodeRecords(randomImageSet(3, 10, 1), "cifar10"));
  writeFileSync(path.join(source, "batches.meta.txt"), "airplane\n");
  const archive = path.join(temporary, "cifar-10-binary.tar.gz");
  execFileSync("tar", ["-czf", archive, "-C", path.dirname(source), "cifar-10-batches-bin"]);
  archiveUrl = pathToFileURL(archive).href;
});
afterAll(() => {
  if (savedDataDir !== undefined) process.env[DATA_DIR_ENV_VAR] = savedDataDir;
  rmSync(temporary, { recursive: true, force: true });
});

const quiet = { onProgress: () => undefined };

describe("CIFAR on first use", () => {
  test("data already in a searched directory: nothing is downloaded", async () => {
    const present = path.join(temporary, "present");
    mkdirSync(path.join(present, "cifar-10"), { recursive: true });
    writeFileSync(path.join(present, "cifar-10", "test_batch.bin.gz"), "");
    const target = path.join(temporary, "unused-target");
    const result = await ensureCifar("cifar10", { searchDirectories: [path.join(temporary, "nothing"), present], target, url: "http://127.0.0.1:9/none", ...quiet });
    expect(result).toEqual({ dataDirectory: present, downloaded: false });
    expect(existsSync(target)).toBe(false);
  });

  test("data nowhere: the archive is fetched and unpacked into the target", async () => {
    const target = path.join(temporary, "workspace-data");
    const result = await ensureCifar("cifar10", { searchDirectories: [path.join(temporary, "nothing")], target, url: archiveUrl, md5: null, ...quiet });
    expect(result).toEqual({ dataDirectory: target, downloaded: true });
    expect(existsSync(path.join(target, "cifar-10-batches-bin", "test_batch.bin"))).toBe(true);
    // A second call finds what the first one unpacked.
    expect(await ensureCifar("cifar10", { searchDirectories: [target], target, url: "http://127.0.0.1:9/none", ...quiet })).toEqual({ dataDirectory: target, downloaded: false });
  });

  test("offline: an InputError that names the download command; nothing is left half-written", async () => {
    const target = path.join(temporary, "offline-target");
    const attempt = ensureCifar("cifar10", { searchDirectories: [path.join(temporary, "nothing")], target, url: "http://127.0.0.1:9/cifar-10-binary.tar.gz", ...quiet });
    await expect(attempt).rejects.toThrow(InputError);
    await expect(
      ensureCifar("cifar10", { searchDirectories: [path.join(temporary, "nothing")], target, url: "http://127.0.0.1:9/cifar-10-binary.tar.gz", ...quiet }),
    ).rejects.toThrow(/cifar10: not found in .*, and fetching it failed: .*Run `npx sam-repro data download cifar10` when online/);
    expect(existsSync(path.join(target, "cifar-10-batches-bin"))).toBe(false);
  });

  test("an explicit data directory is never filled behind the user's back", async () => {
    const explicit = path.join(temporary, "explicit");
    mkdirSync(explicit);
    const result = await ensureCifar("cifar10", { explicitDirectory: explicit, url: archiveUrl, md5: null, ...quiet });
    expect(result).toEqual({ dataDirectory: explicit, downloaded: false });
    expect(existsSync(path.join(explicit, "cifar-10-batches-bin"))).toBe(false);
  });
});
