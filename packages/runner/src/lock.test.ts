import { describe, expect, test } from "@jest/globals";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { LockHeldError, acquireDirectoryLock, lockFileFor, processStartTime, readLockHolder } from "./lock.js";
import { InputError } from "./errors.js";

const lockModule = pathToFileURL(path.join(import.meta.dirname, "lock.ts")).href;
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** A real Node process that takes the lock of `dir`, prints "locked <pid>" (or the error), holds it `holdMs`, exits. */
function lockChildScript(scratch: string): string {
  const script = path.join(scratch, "child.mjs");
  writeFileSync(
    script,
    `const { acquireDirectoryLock } = await import(${JSON.stringify(lockModule)});
const [dir, holdMs] = process.argv.slice(2);
try {
  const lock = acquireDirectoryLock(dir, "lock test");
  console.log("locked " + process.pid);
  await new Promise((resolve) => setTimeout(resolve, Number(holdMs)));
  lock.release();
} catch (error) {
  console.log("refused " + error.message);
  process.exitCode = 2;
}
`,
  );
  return script;
}

function runChild(script: string, dir: string, holdMs: number) {
  // The source condition: lock.ts imports InputError from @sam-repro/sam, whose dist/ a fresh clone has not built.
  return spawn(process.execPath, ["--conditions=@sam-repro/source", "--import", tsx, script, dir, String(holdMs)], { env: { ...process.env, NODE_OPTIONS: "" } });
}

describe("directory lock", () => {
  test("one holder at a time in one process; the error names the holder; release frees it", () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), "sam-repro-lock-"));
    const dir = path.join(scratch, "run");
    const lock = acquireDirectoryLock(dir, "first writer");
    expect(existsSync(dir)).toBe(false); // the lock sits beside the directory and creates nothing inside
    expect(readLockHolder(dir)?.pid).toBe(process.pid);
    let thrown: unknown;
    try {
      acquireDirectoryLock(dir, "second writer");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LockHeldError);
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as Error).message).toContain(`pid ${process.pid}`);
    expect((thrown as Error).message).toContain(os.hostname());
    expect((thrown as Error).message).toContain("first writer");
    expect((thrown as Error).message).not.toContain("\n");
    lock.release();
    lock.release(); // idempotent
    expect(existsSync(lockFileFor(dir))).toBe(false);
    const again = acquireDirectoryLock(dir);
    again.release();
    expect(readdirSync(scratch)).toEqual([]);
  });

  test("a lock left by a process killed with SIGKILL is taken over", async () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), "sam-repro-lock-"));
    const dir = path.join(scratch, "run");
    const child = runChild(lockChildScript(scratch), dir, 60_000);
    const pid = await new Promise<number>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        const match = /locked (\d+)/.exec(chunk.toString());
        if (match) resolve(Number(match[1]));
      });
      child.on("exit", () => reject(new Error("child exited before locking")));
    });
    expect(readLockHolder(dir)?.pid).toBe(pid);
    expect(() => acquireDirectoryLock(dir)).toThrow(`pid ${pid}`);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.on("exit", resolve));
    expect(JSON.parse(readFileSync(lockFileFor(dir), "utf8")).pid).toBe(pid); // left behind
    expect(readLockHolder(dir)).toBeNull(); // but recognised as stale
    const lock = acquireDirectoryLock(dir);
    expect(JSON.parse(readFileSync(lockFileFor(dir), "utf8")).pid).toBe(process.pid);
    lock.release();
  });

  test("a live pid with another start time (a reused pid) does not hold the lock", () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), "sam-repro-lock-"));
    const dir = path.join(scratch, "run");
    const ownStart = processStartTime(process.pid);
    if (ownStart === null) return; // no /proc: pid reuse cannot be told apart here
    const holder = { pid: process.pid, host: os.hostname(), since: "2000-01-01T00:00:00Z", processStart: `${ownStart}1`, purpose: "old", token: "x" };
    writeFileSync(lockFileFor(dir), JSON.stringify(holder));
    expect(readLockHolder(dir)).toBeNull();
    acquireDirectoryLock(dir).release();
    // Same pid and same start time: it is held.
    writeFileSync(lockFileFor(dir), JSON.stringify({ ...holder, processStart: ownStart }));
    expect(() => acquireDirectoryLock(dir)).toThrow(LockHeldError);
  });

  test("four real processes racing for one directory: exactly one wins, the others name it", async () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), "sam-repro-lock-"));
    const dir = path.join(scratch, "run");
    const script = lockChildScript(scratch);
    const outputs = await Promise.all(
      [0, 1, 2, 3].map(
        () =>
          new Promise<{ code: number | null; out: string }>((resolve) => {
            const child = runChild(script, dir, 3000);
            let out = "";
            child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
            child.on("exit", (code) => resolve({ code, out }));
          }),
      ),
    );
    const winners = outputs.filter((o) => o.out.startsWith("locked"));
    expect(winners).toHaveLength(1);
    const winnerPid = /locked (\d+)/.exec(winners[0]!.out)![1];
    for (const loser of outputs.filter((o) => !o.out.startsWith("locked"))) {
      expect(loser.code).toBe(2);
      expect(loser.out).toContain(`pid ${winnerPid}`);
    }
    expect(existsSync(lockFileFor(dir))).toBe(false);
  }, 60_000);

  test("a lock beside an unusable path is a one-line error and creates nothing", () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), "sam-repro-lock-"));
    writeFileSync(path.join(scratch, "file"), "x");
    expect(() => acquireDirectoryLock(path.join(scratch, "file", "sub", "run"))).toThrow(/is a file, not a directory/);
    expect(() => acquireDirectoryLock("/proc/self/x/run")).toThrow(InputError);
    expect(readdirSync(scratch)).toEqual(["file"]);
  });
});
