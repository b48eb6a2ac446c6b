import { mkdirSync, renameSync, rmSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { InputError } from "./errors.js";

/**
 * Writes a file atomically: the content goes to a temporary file in the same directory, which is
 * then renamed over the target, so a reader (or an interrupted run) never sees a half-written file.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
  try {
    writeFileSync(temporary, content);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** JSON with two-space indentation and a final newline; NaN/Infinity as strings, typed arrays as arrays. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, jsonReplacer, 2)}\n`;
}

/** JSON as formatJson, written atomically. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, formatJson(value));
}

/**
 * Reads a JSON file, or returns null when it does not exist. A file that is not JSON (truncated by a
 * full disk or a copy, edited by hand) is an InputError that names it and how to start over.
 */
export function readJsonIfExists<T = unknown>(file: string): T | null {
  if (!existsSync(file)) return null;
  const text = readFileSync(file, "utf8");
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new InputError(
      `${file}: not valid JSON (${text.trim() === "" ? "empty" : (error as Error).message}), probably truncated; delete it to start that part over`,
    );
  }
}

// NaN and infinities are not JSON: record them as strings so a diverged run stays readable.
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (value instanceof Float64Array || value instanceof Float32Array || value instanceof Int32Array) return Array.from(value);
  return value;
}
