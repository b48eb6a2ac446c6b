import { afterAll, describe, expect, test } from "@jest/globals";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { formatJson } from "./atomic.js";
import { LockHeldError, acquireDirectoryLock } from "./lock.js";
import { RESULT_FILE, commitRunResult, readFinishedResult, runDirectory, runHash } from "./run-store.js";
import { keyedResultCache, reviveNumbers } from "./run-store-cache.js";
import { RUNS_DIR_ENV_VAR } from "./settings.js";

const scratchDirectories: string[] = [];
const scratch = () => {
  const directory = mkdtempSync(path.join(os.tmpdir(), "sam-repro-run-store-"));
  scratchDirectories.push(directory);
  return directory;
};
afterAll(() => {
  for (const directory of scratchDirectories) rmSync(directory, { recursive: true, force: true });
});

describe("runHash", () => {
  test("is sha256 of the documented canonical JSON (keys of config sorted at every depth), first 12 hex digits", () => {
    const config = { b: { d: [3, { f: 5, e: 4 }], c: 2 }, a: 1 };
    const canonical = '{"version":1,"backend":"cpu","config":{"a":1,"b":{"c":2,"d":[3,{"e":4,"f":5}]}}}';
    expect(runHash({ version: 1, backend: "cpu", config })).toBe(createHash("sha256").update(canonical).digest("hex").slice(0, 12));
  });

  test("key order does not change it; array order, version, backend and any value do", () => {
    const base = runHash({ version: 1, backend: "wasm", config: { x: 1, y: { p: [1, 2], q: "s" } } });
    expect(runHash({ version: 1, backend: "wasm", config: { y: { q: "s", p: [1, 2] }, x: 1 } })).toBe(base);
    expect(base).toMatch(/^[0-9a-f]{12}$/);
    const changed = [
      runHash({ version: 1, backend: "wasm", config: { x: 1, y: { p: [2, 1], q: "s" } } }),
      runHash({ version: 2, backend: "wasm", config: { x: 1, y: { p: [1, 2], q: "s" } } }),
      runHash({ version: 1, backend: "native", config: { x: 1, y: { p: [1, 2], q: "s" } } }),
      runHash({ version: 1, backend: "wasm", config: { x: 1.5, y: { p: [1, 2], q: "s" } } }),
    ];
    expect(new Set([base, ...changed]).size).toBe(5);
  });
});

describe("run directories", () => {
  test("<runsDir>/<package>/<profile>/<name>-<hash>, runsDir from SAM_REPRO_RUNS_DIR by default", () => {
    const address = { package: "pkg", profile: "smoke", name: "erm-s0", hash: "0123456789ab" };
    expect(runDirectory(address, "/somewhere/runs")).toBe(path.join("/somewhere/runs", "pkg", "smoke", "erm-s0-0123456789ab"));
    const saved = process.env[RUNS_DIR_ENV_VAR];
    process.env[RUNS_DIR_ENV_VAR] = "/elsewhere/store";
    try {
      expect(runDirectory(address)).toBe(path.join("/elsewhere/store", "pkg", "smoke", "erm-s0-0123456789ab"));
    } finally {
      if (saved === undefined) delete process.env[RUNS_DIR_ENV_VAR];
      else process.env[RUNS_DIR_ENV_VAR] = saved;
    }
  });

  test("commitRunResult writes the other files, then result.json, under the lock; a result is read back only for its own hash", () => {
    const directory = path.join(scratch(), "pkg", "smoke", "run-aaaaaaaaaaaa");
    expect(readFinishedResult(directory, "aaaaaaaaaaaa")).toBeNull();
    let sawLockHeld = false;
    let resultExistedDuringWrites = true;
    commitRunResult(directory, { hash: "aaaaaaaaaaaa", value: Number.NaN }, {
      purpose: "test store",
      writeFiles: () => {
        resultExistedDuringWrites = existsSync(path.join(directory, RESULT_FILE));
        writeFileSync(path.join(directory, "weights.bin"), "w");
        try {
          acquireDirectoryLock(directory, "second writer");
        } catch (error) {
          sawLockHeld = error instanceof LockHeldError;
        }
      },
    });
    expect(sawLockHeld).toBe(true);
    expect(resultExistedDuringWrites).toBe(false);
    expect(readdirSync(directory).sort()).toEqual([RESULT_FILE, "weights.bin"]);
    acquireDirectoryLock(directory, "after the commit").release(); // released
    expect(readFinishedResult<{ hash: string; value: unknown }>(directory, "aaaaaaaaaaaa")?.value).toBe("NaN");
    expect(readFinishedResult(directory, "bbbbbbbbbbbb")).toBeNull();
  });

  test("a commit whose other files fail leaves no result.json and frees the lock", () => {
    const directory = path.join(scratch(), "run-cccccccccccc");
    expect(() =>
      commitRunResult(directory, { hash: "cccccccccccc" }, {
        purpose: "test store",
        writeFiles: () => {
          throw new Error("disk full");
        },
      }),
    ).toThrow("disk full");
    expect(existsSync(path.join(directory, RESULT_FILE))).toBe(false);
    acquireDirectoryLock(directory, "after the failure").release();
  });

  test("keepExisting keeps a result another writer stored for the same hash (and writes no files); without it the commit replaces it", () => {
    const directory = path.join(scratch(), "pkg", "smoke", "run-dddddddddddd");
    commitRunResult(directory, { hash: "dddddddddddd", value: 1 }, { purpose: "first writer" });
    let wroteFiles = false;
    const kept = commitRunResult(directory, { hash: "dddddddddddd", value: 2 }, { purpose: "second writer", keepExisting: true, writeFiles: () => (wroteFiles = true) });
    expect(kept).toEqual({ hash: "dddddddddddd", value: 1 });
    expect(wroteFiles).toBe(false);
    expect(readFinishedResult(directory, "dddddddddddd")).toEqual({ hash: "dddddddddddd", value: 1 });
    commitRunResult(directory, { hash: "eeeeeeeeeeee", value: 3 }, { purpose: "other identity", keepExisting: true });
    expect(readFinishedResult(directory, "eeeeeeeeeeee")).toEqual({ hash: "eeeeeeeeeeee", value: 3 });
    commitRunResult(directory, { hash: "eeeeeeeeeeee", value: 4 }, { purpose: "replace" });
    expect(readFinishedResult(directory, "eeeeeeeeeeee")).toEqual({ hash: "eeeeeeeeeeee", value: 4 });
  });
});

describe("keyed result cache", () => {
  const options = (runsDir: string, settings: unknown = { steps: 10 }) =>
    ({ package: "pkg", profile: "smoke", name: "some-figure", version: 1, backend: "js-float64", settings, runsDir });

  test("one run directory per key; a second cache (a later process) reuses every value, NaN and infinities included", () => {
    const runs = scratch();
    const value = { mean: 0.25, tail: Number.NaN, bound: Infinity, low: -Infinity, list: [1, Number.NaN], diverged: false };
    const first = keyedResultCache(options(runs));
    expect(first("run:a", () => value)).toBe(value);
    expect(first("run:b", () => ({ ...value, mean: 0.5 })).mean).toBe(0.5);

    const profileDir = path.join(runs, "pkg", "smoke");
    const entries = readdirSync(profileDir).sort();
    expect(entries).toHaveLength(2); // no lock files left behind
    for (const entry of entries) {
      expect(entry).toMatch(/^some-figure-[0-9a-f]{12}$/);
      expect(readdirSync(path.join(profileDir, entry))).toEqual([RESULT_FILE]);
    }
    const stored = entries.map((entry) => JSON.parse(readFileSync(path.join(profileDir, entry, RESULT_FILE), "utf8")) as { hash: string; key: string });
    expect(stored.map((result) => result.key).sort()).toEqual(["run:a", "run:b"]);
    for (const [index, entry] of entries.entries()) expect(entry.endsWith(stored[index]!.hash)).toBe(true);

    const later = keyedResultCache(options(runs));
    const again = later<typeof value>("run:a", () => {
      throw new Error("recomputed");
    });
    expect(again).toEqual(value);
    expect(again.tail).toBeNaN();
    expect(again.bound).toBe(Infinity);
    expect(again.low).toBe(-Infinity);
    expect(again.list[1]).toBeNaN();
  });

  test("an interrupted sequence resumes with the keys done and computes only the rest", () => {
    const runs = scratch();
    const interrupted = keyedResultCache(options(runs));
    interrupted("k1", () => 1);
    interrupted("k2", () => 2);
    expect(() =>
      interrupted("k3", () => {
        throw new Error("stopped");
      }),
    ).toThrow("stopped");

    const computed: string[] = [];
    const resumed = keyedResultCache(options(runs));
    const values = ["k1", "k2", "k3"].map((key) =>
      resumed(key, () => {
        computed.push(key);
        return 3;
      }),
    );
    expect(values).toEqual([1, 2, 3]);
    expect(computed).toEqual(["k3"]);
  });

  test("other settings, version, backend, name or profile are other runs; a result.json of another hash is not taken", () => {
    const runs = scratch();
    keyedResultCache(options(runs))("k", () => "stored");
    const variants = [
      options(runs, { steps: 11 }),
      { ...options(runs), version: 2 },
      { ...options(runs), backend: "other" },
      { ...options(runs), name: "other-figure" },
      { ...options(runs), profile: "cpu" },
    ];
    for (const variant of variants) expect(keyedResultCache(variant)("k", () => "fresh")).toBe("fresh");

    // A directory whose result.json names another hash (edited, or a collision of names) is recomputed and replaced.
    const profileDir = path.join(runs, "pkg", "smoke");
    const directory = path.join(profileDir, readdirSync(profileDir).find((entry) => entry.startsWith("some-figure-"))!);
    const file = path.join(directory, RESULT_FILE);
    writeFileSync(file, formatJson({ hash: "000000000000", key: "k", value: "foreign" }));
    expect(keyedResultCache(options(runs))("k", () => "recomputed")).toBe("recomputed");
    expect(keyedResultCache(options(runs))("k", () => "again")).toBe("recomputed");
  });

  test("reviveNumbers undoes formatJson's encoding of non-finite numbers at any depth", () => {
    const value = { a: Number.NaN, b: [Infinity, { c: -Infinity, d: 1.5 }], e: "text", f: null };
    const roundTrip = reviveNumbers(JSON.parse(formatJson(value)));
    expect(roundTrip).toEqual(value);
    expect((roundTrip as typeof value).b[0]).toBe(Infinity);
  });
});
