import { accessSync, constants, mkdirSync, statSync, statfsSync } from "node:fs";
import path from "node:path";
import { InputError } from "./errors.js";

/** Free space below which an output location is refused before any work starts (ENOSPC would come hours later). */
export const MIN_FREE_BYTES = 64 * 1024 * 1024;

/**
 * Checks, without creating anything, that `directory` can be created (or written, if it exists):
 * the nearest existing ancestor must be a writable directory on a filesystem with at least
 * `minFreeBytes` free. Throws an InputError naming `what`, the path and the reason (EACCES, EROFS,
 * not a directory, no space), so a run fails in its first second instead of after the data loaded.
 */
export function checkOutputLocation(directory: string, what: string, minFreeBytes = MIN_FREE_BYTES): void {
  const target = path.resolve(directory);
  const existing = nearestExistingAncestor(target, what);
  const stats = statSync(existing);
  if (!stats.isDirectory()) {
    throw new InputError(`${what} ${directory}: ${existing} is a file, not a directory; choose another path`);
  }
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new InputError(`${what} ${directory}: ${existing} is not writable (${errorCode(error)}); choose a writable path`);
  }
  if (isVirtualFilesystem(existing)) {
    throw new InputError(`${what} ${directory}: ${existing} is on a virtual filesystem (/proc, /sys, /dev); choose a real directory`);
  }
  const free = freeBytes(existing);
  if (free !== null && free < minFreeBytes) {
    throw new InputError(
      `${what} ${directory}: only ${(free / 2 ** 20).toFixed(1)} MiB free on its filesystem (need at least ${(minFreeBytes / 2 ** 20).toFixed(0)} MiB; ENOSPC)`,
    );
  }
}

/**
 * Creates `directory` and its missing parents after `checkOutputLocation`, one level at a time (Node
 * 20's recursive mkdir loops forever on paths such as /proc/self/x), and turns any filesystem error
 * into a one-line InputError.
 */
export function makeOutputDirectory(directory: string, what: string, minFreeBytes = MIN_FREE_BYTES): void {
  checkOutputLocation(directory, what, minFreeBytes);
  const target = path.resolve(directory);
  const existing = nearestExistingAncestor(target, what);
  const missing = path.relative(existing, target).split(path.sep).filter((part) => part.length > 0);
  let current = existing;
  for (const part of missing) {
    current = path.join(current, part);
    try {
      mkdirSync(current);
    } catch (error) {
      if (errorCode(error) === "EEXIST" && statSync(current).isDirectory()) continue;
      throw new InputError(`${what} ${directory}: cannot create ${current} (${errorCode(error)})`);
    }
  }
}

/** Turns a filesystem error raised while writing `file` into a one-line InputError (EACCES, EROFS, ENOSPC, ...). */
export function describeWriteError(error: unknown, file: string, what: string): Error {
  const code = errorCode(error);
  if (["EACCES", "EPERM", "EROFS", "ENOSPC", "EDQUOT", "ENOTDIR", "ENOENT", "EISDIR"].includes(code)) {
    return new InputError(`${what}: cannot write ${file} (${code}${code === "ENOSPC" || code === "EDQUOT" ? ": disk full" : ""})`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

function nearestExistingAncestor(target: string, what: string): string {
  let current = target;
  for (;;) {
    try {
      statSync(current);
      return current;
    } catch (error) {
      const code = errorCode(error);
      // ENOTDIR: a file sits on the path; walking up finds it and reports it as "a file".
      if (code !== "ENOENT" && code !== "ENOTDIR") throw new InputError(`${what} ${target}: cannot inspect ${current} (${code})`);
    }
    const parent = path.dirname(current);
    if (parent === current) return current;
    current = parent;
  }
}

function isVirtualFilesystem(directory: string): boolean {
  if (directory === "/dev/shm" || directory.startsWith("/dev/shm/")) return false;
  return ["/proc", "/sys", "/dev"].some((root) => directory === root || directory.startsWith(`${root}/`));
}

function freeBytes(directory: string): number | null {
  try {
    const stats = statfsSync(directory);
    return Number(stats.bavail) * Number(stats.bsize);
  } catch {
    return null;
  }
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | null)?.code ?? (error instanceof Error ? error.message : String(error));
}
