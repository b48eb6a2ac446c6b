import { describe, expect, test } from "@jest/globals";
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { InputError } from "./errors.js";
import { readJsonIfExists } from "./atomic.js";
import { checkOutputLocation, makeOutputDirectory } from "./output-location.js";

describe("output locations are checked before any work", () => {
  test("a file on the path, /proc and a full disk are one-line InputErrors that create nothing", () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), "sam-repro-output-"));
    writeFileSync(path.join(scratch, "file"), "x");
    expect(() => checkOutputLocation(path.join(scratch, "file", "a", "b"), "--run-dir")).toThrow(
      `--run-dir ${path.join(scratch, "file", "a", "b")}: ${path.join(scratch, "file")} is a file, not a directory`,
    );
    // Node 20's recursive mkdir spins forever on this path; the check answers at once.
    const started = Date.now();
    expect(() => makeOutputDirectory("/proc/self/x", "--run-dir")).toThrow(InputError);
    expect(Date.now() - started).toBeLessThan(1000);
    // ENOSPC simulated: more free space demanded than any disk has.
    expect(() => checkOutputLocation(path.join(scratch, "run"), "run directory", Number.MAX_SAFE_INTEGER)).toThrow(/MiB free on its filesystem .*ENOSPC/);
    expect(readdirSync(scratch)).toEqual(["file"]);
  });

  test("makeOutputDirectory creates the missing levels of a good path", () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), "sam-repro-output-"));
    makeOutputDirectory(path.join(scratch, "a", "b", "c"), "run directory");
    expect(statSync(path.join(scratch, "a", "b", "c")).isDirectory()).toBe(true);
    makeOutputDirectory(path.join(scratch, "a", "b", "c"), "run directory"); // exists: fine
  });

  test("a truncated or empty JSON file is named, with how to start over", () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), "sam-repro-output-"));
    const truncated = path.join(scratch, "checkpoint.json");
    writeFileSync(truncated, '{"key": "abc", "state": {"epochs');
    expect(() => readJsonIfExists(truncated)).toThrow(InputError);
    expect(() => readJsonIfExists(truncated)).toThrow(new RegExp(`^${truncated}: not valid JSON .*; delete it to start that part over$`));
    writeFileSync(truncated, "");
    expect(() => readJsonIfExists(truncated)).toThrow(/not valid JSON \(empty\)/);
    expect(readJsonIfExists(path.join(scratch, "missing.json"))).toBeNull();
    expect(existsSync(truncated)).toBe(true); // reported, not deleted behind the user's back
  });
});
