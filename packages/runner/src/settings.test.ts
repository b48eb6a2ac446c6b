import { existsSync, readFileSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "@jest/globals";
import {
  SETTINGS,
  backendSetting,
  checkDirectorySettings,
  dataDirSetting,
  nativePoolBytesSetting,
  nativeThreadsSetting,
  parseProfile,
  pythonCandidatesSetting,
  queueLockMsSetting,
  quietSetting,
  readSetting,
  reportsDirSetting,
  runsDirSetting,
  workersSetting,
} from "./settings.js";
import { InputError } from "./errors.js";
import { workspaceRoot } from "./workspace.js";

const root = workspaceRoot();
const SETTINGS_MODULE = "packages/runner/src/settings.ts";

/**
 * Reads of a SAM_REPRO_* variable that stay outside the settings module, each with its reason. Each must still
 * read one (the test fails otherwise, so that a moved read is also taken off this list).
 */
const READS_OUTSIDE: Record<string, string> = {
  "packages/cli/bin/entry.js": "the bin chooses between the sources and dist before any package can be loaded",
  "scripts/data-checksums.mjs": "a plain Node script that nx runs without the TypeScript loader",
  "scripts/run-jest.mjs": "the test launcher (plain Node): points the reports and run directories at a scratch folder when unset, so a test that loses its own never writes into reports/",
};

/** Every way the code reads (or sets) a variable: process.env.X, process.env["X"], env[X_ENV_VAR], environment.X. */
const ENVIRONMENT_ACCESS =
  /process\.env\.SAM_REPRO_\w+|process\.env\[\s*["'`]SAM_REPRO_|\b(?:process\.env|env|environment)\s*\[\s*[A-Z][A-Z_]*_ENV_VAR\s*\]|\b(?:env|environment)\.SAM_REPRO_\w+/g;

function walk(dir: string, keep: (file: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return ["node_modules", "dist", "build"].includes(entry.name) ? [] : walk(full, keep);
    return keep(full) ? [full] : [];
  });
}

const isCode = (file: string) => /\.(ts|js|mjs|cjs)$/.test(file);
const isTest = (file: string) => /\.test\.ts$/.test(file) || path.basename(file).startsWith("test-");
const packageDirs = readdirSync(path.join(root, "packages")).map((name) => path.join(root, "packages", name));
const relative = (file: string) => path.relative(root, file).split(path.sep).join("/");

/** The code that runs outside tests: package sources and bins, the scripts and the tools. */
function shippedCode(): string[] {
  return [
    ...packageDirs.flatMap((dir) => [...walk(path.join(dir, "src"), isCode), ...walk(path.join(dir, "bin"), isCode)]),
    ...walk(path.join(root, "scripts"), isCode),
    ...walk(path.join(root, "tools"), isCode),
  ].filter((file) => !isTest(file));
}

/** The README's "Environment variables" table, rendered from SETTINGS. */
function settingsTable(): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  return [
    "| variable | what it does | default | allowed values | read by |",
    "| --- | --- | --- | --- | --- |",
    ...SETTINGS.map((s) => `| \`${s.name}\` | ${cell(s.meaning)} | ${cell(s.default)} | ${cell(s.allowed)} | ${cell(s.readBy)} |`),
  ].join("\n");
}

describe("one settings module", () => {
  test("no code outside the settings module reads a SAM_REPRO_* variable, except the listed files", () => {
    const files = shippedCode();
    expect(files.length).toBeGreaterThan(50);
    const readers = files.filter((file) => (readFileSync(file, "utf8").match(ENVIRONMENT_ACCESS) ?? []).length > 0).map(relative);
    const unexpected = readers.filter((file) => file !== SETTINGS_MODULE && !(file in READS_OUTSIDE));
    expect(unexpected).toEqual([]);
    expect(readers).toContain(SETTINGS_MODULE);
    // A listed file that no longer reads a variable comes off the list.
    expect(Object.keys(READS_OUTSIDE).filter((file) => !readers.includes(file))).toEqual([]);
  });

  test("the access scanner sees each form of reading a variable", () => {
    const samples = ['process.env.SAM_REPRO_QUIET === "1"', 'process.env["SAM_REPRO_QUIET"]', "env[LOCK_MS_ENV_VAR]", "process.env[ THREADS_ENV_VAR ]", "environment.SAM_REPRO_ENTRY"];
    for (const sample of samples) expect(sample.match(ENVIRONMENT_ACCESS)).not.toBeNull();
    expect('{ ...process.env, SAM_REPRO_QUIET: "1" }'.match(ENVIRONMENT_ACCESS)).toBeNull();
    expect("trainerEnv[BACKEND_ENV_VAR] = backend".match(ENVIRONMENT_ACCESS)).toBeNull();
  });

  test("every SAM_REPRO_* variable named in the code, the docs or the CI is a setting", () => {
    const files = [
      ...packageDirs.flatMap((dir) => [...walk(path.join(dir, "src"), isCode), ...walk(path.join(dir, "bin"), isCode), path.join(dir, "README.md")]),
      ...walk(path.join(root, "scripts"), isCode),
      ...walk(path.join(root, "tools"), (file) => isCode(file) || /\.(sh|py|md)$/.test(file)),
      ...walk(path.join(root, "docs"), (file) => file.endsWith(".md")),
      path.join(root, ".ci", "run"),
      path.join(root, "docker-compose.yml"),
      path.join(root, "README.md"),
    ].filter((file) => existsSync(file));
    const named = new Set(files.flatMap((file) => readFileSync(file, "utf8").match(/SAM_REPRO_[A-Z0-9_]*[A-Z0-9]/g) ?? []));
    const known = new Set(SETTINGS.map((setting) => setting.name));
    expect([...named].filter((name) => !known.has(name)).sort()).toEqual([]);
    expect(named.size).toBeGreaterThanOrEqual(known.size - 1);
  });

  test("the README's 'Environment variables' table is SETTINGS", () => {
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    const section = readme.split(/^## Environment variables$/m)[1]?.split(/^## /m)[0];
    expect(section).toBeDefined();
    const table = section!.split("\n").filter((line) => line.startsWith("|")).join("\n");
    // On a mismatch, the expected text is the table to paste into README.md.
    expect(table).toBe(settingsTable());
  });

  test("names are unique and every row says what is allowed and who reads it", () => {
    expect(new Set(SETTINGS.map((s) => s.name)).size).toBe(SETTINGS.length);
    for (const setting of SETTINGS) {
      expect(setting.name).toMatch(/^SAM_REPRO_[A-Z0-9_]+$/);
      for (const field of [setting.meaning, setting.default, setting.allowed, setting.readBy]) expect(field.trim()).not.toBe("");
    }
  });
});

describe("readers", () => {
  test("an empty value counts as unset, so the default applies", () => {
    expect(readSetting("SAM_REPRO_DATA_DIR", { SAM_REPRO_DATA_DIR: "" })).toBeUndefined();
    expect(dataDirSetting({ SAM_REPRO_DATA_DIR: "" })).toBeUndefined();
    expect(dataDirSetting({ SAM_REPRO_DATA_DIR: "/data" })).toBe("/data");
    expect(reportsDirSetting({})).toBe(path.join(root, "reports"));
    expect(reportsDirSetting({ SAM_REPRO_REPORTS_DIR: "/tmp/r" })).toBe("/tmp/r");
    expect(runsDirSetting({ SAM_REPRO_RUNS_DIR: "" })).toBe(path.join(root, "runs"));
    expect(quietSetting({ SAM_REPRO_QUIET: "1" })).toBe(true);
    expect(quietSetting({ SAM_REPRO_QUIET: "0" })).toBe(false);
    expect(pythonCandidatesSetting({})).toEqual(["python3", "/usr/bin/python3"]);
    expect(pythonCandidatesSetting({ SAM_REPRO_PYTHON: "/opt/py" })[0]).toBe("/opt/py");
  });

  test("profile and backend: flag, else variable, else default; errors name the source", () => {
    expect(parseProfile(undefined, "--profile", {})).toBe("cpu");
    expect(parseProfile(undefined, "--profile", { SAM_REPRO_PROFILE: "smoke" })).toBe("smoke");
    expect(parseProfile("paper", "--profile", { SAM_REPRO_PROFILE: "smoke" })).toBe("paper");
    expect(() => parseProfile(undefined, "--profile", { SAM_REPRO_PROFILE: "huge" })).toThrow(/^SAM_REPRO_PROFILE: unknown profile "huge"; allowed values: smoke, /);
    expect(backendSetting({})).toBe("auto");
    expect(backendSetting({ SAM_REPRO_BACKEND: "wasm" })).toBe("wasm");
    expect(() => backendSetting({ SAM_REPRO_BACKEND: "gpu" })).toThrow('SAM_REPRO_BACKEND: unknown backend "gpu"; allowed values: auto, tensorflow-gpu, tensorflow, native, wasm, cpu');
  });

  test("numbers: default when unset, the value when allowed, a one-line InputError otherwise", () => {
    expect(nativeThreadsSetting({})).toBe(os.availableParallelism());
    expect(nativeThreadsSetting({ SAM_REPRO_THREADS: "3" })).toBe(3);
    expect(nativePoolBytesSetting({})).toBe(Math.floor(os.totalmem() / 4));
    expect(nativePoolBytesSetting({ SAM_REPRO_NATIVE_POOL_MB: "1.5" })).toBe(1.5 * 1024 * 1024);
    expect(workersSetting({})).toBeUndefined();
    expect(workersSetting({ SAM_REPRO_WORKERS: "4" })).toBe(4);
    expect(queueLockMsSetting({})).toBe(30_000);
    const refused: [() => unknown, string][] = [
      [() => nativeThreadsSetting({ SAM_REPRO_THREADS: "0" }), 'SAM_REPRO_THREADS: "0" is not a thread count; allowed: an integer from 1 to 256'],
      [() => nativePoolBytesSetting({ SAM_REPRO_NATIVE_POOL_MB: "-1" }), 'SAM_REPRO_NATIVE_POOL_MB: "-1" is not a size in MiB; allowed: a number >= 0'],
      [() => workersSetting({ SAM_REPRO_WORKERS: "two" }), 'SAM_REPRO_WORKERS: "two" is not allowed; allowed: an integer >= 1, or unset for one worker per core'],
      [() => queueLockMsSetting({ SAM_REPRO_QUEUE_LOCK_MS: "999" }), 'SAM_REPRO_QUEUE_LOCK_MS: "999" is not allowed; allowed: an integer number of milliseconds >= 1000'],
    ];
    for (const [read, message] of refused) {
      expect(read).toThrow(InputError);
      expect(read).toThrow(message);
    }
  });

  test("an empty directory variable is refused at start", () => {
    expect(() => checkDirectorySettings({ SAM_REPRO_RUNS_DIR: " " })).toThrow('SAM_REPRO_RUNS_DIR: " " is empty; set it to a directory or unset it for the default');
    expect(() => checkDirectorySettings({ SAM_REPRO_REPORTS_DIR: "/tmp/x" })).not.toThrow();
  });
});
