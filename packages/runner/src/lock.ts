import { linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { InputError } from "./errors.js";
import { makeOutputDirectory } from "./output-location.js";

/** Who holds a directory lock (the content of the lock file). */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
  /** Kernel start time of the holder process (/proc/<pid>/stat field 22), null off Linux: tells a reused pid apart. */
  processStart: string | null;
  /** What the holder is doing, e.g. "sam-repro train". */
  purpose: string;
  /** Random token: release removes the file only if it is still this process's lock. */
  token: string;
}

/** A held lock; `release()` is idempotent and also runs when the process exits. */
export interface DirectoryLock {
  readonly directory: string;
  readonly lockFile: string;
  release(): void;
}

/** The second writer's error (exit code 2 through InputError): names the holder and how to recover. */
export class LockHeldError extends InputError {
  override name = "LockHeldError";
  constructor(
    readonly directory: string,
    readonly holder: LockHolder | null,
    readonly lockFile: string,
  ) {
    super(
      holder
        ? `${directory} is in use by pid ${holder.pid} on ${holder.host} since ${holder.since} (${holder.purpose}); wait for it or stop it` +
            (holder.host === os.hostname() ? "" : `, or delete ${lockFile} if that process is gone`)
        : `${directory} is being locked by another process (${lockFile}); try again in a moment`,
    );
  }
}

const heldLocks = new Map<string, LockHolder>();
let exitHookInstalled = false;

/** The lock file of `directory`: a sibling `.<name>.lock`, so the directory itself can be swapped whole. */
export function lockFileFor(directory: string): string {
  const resolved = path.resolve(directory);
  return path.join(path.dirname(resolved), `.${path.basename(resolved)}.lock`);
}

/**
 * Takes the one-writer lock of a run, figure or store directory, or throws LockHeldError naming the
 * holder. The lock file is created whole in one step (written to a temporary file, then hard-linked:
 * link fails if the name exists). A lock left by a crashed process is taken over: the holder is
 * gone when, on this host, its pid is not alive or belongs to a process with another start time.
 * Liveness by pid rather than by a refreshed mtime, because tfjs kernels block the event loop for
 * seconds and a timer-refreshed lock would look stale while its holder is busy.
 */
export function acquireDirectoryLock(directory: string, purpose = processPurpose()): DirectoryLock {
  const lockFile = lockFileFor(directory);
  if (heldLocks.has(lockFile)) throw new LockHeldError(directory, heldLocks.get(lockFile)!, lockFile);
  makeOutputDirectory(path.dirname(lockFile), "lock directory");
  const holder: LockHolder = {
    pid: process.pid,
    host: os.hostname(),
    since: new Date().toISOString(),
    processStart: processStartTime(process.pid),
    purpose,
    token: randomBytes(8).toString("hex"),
  };
  for (let attempt = 0; ; attempt++) {
    if (createExclusive(lockFile, `${JSON.stringify(holder)}\n`)) break;
    const current = readHolder(lockFile);
    if (current.state === "gone") {
      if (attempt < 100) continue;
      throw new LockHeldError(directory, null, lockFile);
    }
    if (attempt < 100 && isStale(current, lockFile)) {
      breakStaleLock(lockFile, current.text);
      continue;
    }
    throw new LockHeldError(directory, current.state === "ok" ? current.holder : null, lockFile);
  }
  heldLocks.set(lockFile, holder);
  installExitHook();
  return {
    directory,
    lockFile,
    release() {
      if (heldLocks.get(lockFile)?.token !== holder.token) return;
      heldLocks.delete(lockFile);
      const current = readHolder(lockFile);
      if (current.state === "ok" && current.holder.token === holder.token) unlinkQuietly(lockFile);
    },
  };
}

/** The current holder of `directory`'s lock, or null when it is free (a stale lock counts as free). */
export function readLockHolder(directory: string): LockHolder | null {
  const lockFile = lockFileFor(directory);
  const current = readHolder(lockFile);
  if (current.state !== "ok" || isStale(current, lockFile)) return null;
  return current.holder;
}

/** Runs `work` while holding `directory`'s lock; releases it however `work` ends. */
export async function withDirectoryLock<T>(directory: string, work: () => Promise<T> | T, purpose?: string): Promise<T> {
  const lock = acquireDirectoryLock(directory, purpose);
  try {
    return await work();
  } finally {
    lock.release();
  }
}

type HolderRead = { state: "gone" } | { state: "ok"; holder: LockHolder; text: string } | { state: "unreadable"; text: string };

function readHolder(lockFile: string): HolderRead {
  let text: string;
  try {
    text = readFileSync(lockFile, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { state: "gone" };
    throw error;
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    if (typeof holder.pid === "number" && typeof holder.host === "string") return { state: "ok", holder, text };
  } catch {
    // fall through: a file this code did not write whole
  }
  return { state: "unreadable", text };
}

function isStale(read: HolderRead, lockFile: string): boolean {
  if (read.state === "gone") return true;
  if (read.state === "unreadable") return ageSeconds(lockFile) > 2; // not ours; younger ones may be mid-write (wx fallback)
  const { holder } = read;
  if (holder.host !== os.hostname()) return false; // cannot see another machine's processes
  if (!isAlive(holder.pid)) return true;
  const start = processStartTime(holder.pid);
  return holder.processStart !== null && start !== null && start !== holder.processStart;
}

// Breaking happens under a short second lock, so two processes that both saw the same stale lock do
// not both remove it (the second would remove the first one's fresh lock).
function breakStaleLock(lockFile: string, staleText: string): void {
  const breaker = `${lockFile}.break`;
  if (!createExclusive(breaker, `${process.pid}\n`)) {
    const breakerPid = Number.parseInt(safeRead(breaker) ?? "", 10);
    if (ageSeconds(breaker) > 10 || (Number.isInteger(breakerPid) && !isAlive(breakerPid))) unlinkQuietly(breaker);
    else sleepMs(20);
    return;
  }
  try {
    if (safeRead(lockFile) === staleText) unlinkQuietly(lockFile);
  } finally {
    unlinkQuietly(breaker);
  }
}

function createExclusive(file: string, content: string): boolean {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(temporary, content);
  try {
    linkSync(temporary, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw error;
    // Filesystems without hard links: exclusive create, then write (readers give it 2 s to appear whole).
    try {
      writeFileSync(file, content, { flag: "wx" });
      return true;
    } catch (inner) {
      if ((inner as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw inner;
    }
  } finally {
    unlinkQuietly(temporary);
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const [lockFile, holder] of heldLocks) {
      const current = readHolder(lockFile);
      if (current.state === "ok" && current.holder.token === holder.token) unlinkQuietly(lockFile);
    }
    heldLocks.clear();
  });
}

/** The kernel start time of a process (clock ticks since boot), or null where /proc is not available. */
export function processStartTime(pid: number): string | null {
  const stat = safeRead(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // Field 2 (the command) is in parentheses and may contain spaces: count fields after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[19] ?? null; // field 22 overall; fields[0] is field 3
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function processPurpose(): string {
  const words = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
  return ["sam-repro", ...words.slice(0, 2)].join(" ");
}

function ageSeconds(file: string): number {
  try {
    return (Date.now() - statSync(file).mtimeMs) / 1000;
  } catch {
    return Infinity;
  }
}

function safeRead(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
