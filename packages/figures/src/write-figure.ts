import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { InputError, PROFILES, acquireDirectoryLock, describeWriteError, formatJson, makeOutputDirectory, reportsDir, workspaceRoot } from "@sam-repro/runner";
import { renderSvg, svgToPng } from "./render.js";
import { houseStyle } from "./style.js";
import { VERDICTS, type FigureMeta, type FigureOutput, type MachineInfo } from "./types.js";

/** The files of one figure directory, in the order they are written (meta.json last marks it complete). */
export const FIGURE_FILES = ["data.json", "spec.vl.json", "figure.svg", "figure.png", "claims.json", "meta.json"] as const;

/** Written last into a figure directory: the sha256 of every other file, so `report` can tell a whole directory from a mixed one. */
export const MANIFEST_FILE = "manifest.json";

/** Test seams of writeFigure. */
export interface WriteFigureHooks {
  /** Runs between moving the old directory away and moving the new one in (fault injection). */
  betweenRenames?: () => void;
}

/**
 * Writes reports/<id>/{data.json, spec.vl.json, figure.svg, figure.png, claims.json, meta.json,
 * manifest.json} and returns the directory. The files go into a hidden sibling directory first, and
 * the whole directory is swapped in by renames (old one moved aside, new one moved in, old one
 * removed), under the figure directory's lock: a reader sees the old figure, the new one, or (after
 * a crash between the two renames) none, never a mix. manifest.json names each file's sha256.
 * The spec gets the house style; non-finite numbers in it become null, so the stored spec renders as drawn.
 */
export async function writeFigure(output: FigureOutput, directory: string = reportsDir(), hooks: WriteFigureHooks = {}): Promise<string> {
  checkOutput(output);
  const figureDirectory = path.join(directory, output.id);
  const spec = houseStyle(finiteOnly(output.spec) as Record<string, unknown>);
  const svg = await renderSvg(spec, output.id);
  const png = svgToPng(svg);

  const meta: FigureMeta = {
    id: output.id,
    title: output.title,
    paperFigure: output.paperFigure,
    profile: output.profile,
    setup: output.setup,
    scaledDown: output.scaledDown ?? null,
    wallSeconds: output.wallSeconds,
    backend: output.backend ?? null,
    commit: gitCommit(),
    date: new Date().toISOString(),
    machine: machineInfo(),
  };
  const contents: Record<(typeof FIGURE_FILES)[number], string | Uint8Array> = {
    "data.json": formatJson(output.data),
    "spec.vl.json": formatJson(spec),
    "figure.svg": svg,
    "figure.png": png,
    "claims.json": formatJson(output.claims),
    "meta.json": formatJson(meta),
  };
  makeOutputDirectory(directory, "reports directory");
  const lock = acquireDirectoryLock(figureDirectory, `write figure ${output.id}`);
  try {
    removeLeftovers(directory, output.id);
    const staging = path.join(directory, `.${output.id}.new-${uniqueSuffix()}`);
    try {
      mkdirSync(staging);
      const hashes: Record<string, string> = {};
      for (const name of FIGURE_FILES) {
        writeFileSync(path.join(staging, name), contents[name]);
        hashes[name] = sha256(contents[name]);
      }
      writeFileSync(path.join(staging, MANIFEST_FILE), formatJson({ id: output.id, files: hashes }));
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      throw describeWriteError(error, staging, `figure ${output.id}`);
    }
    swapIn(staging, figureDirectory, path.join(directory, `.${output.id}.old-${uniqueSuffix()}`), hooks);
  } finally {
    lock.release();
  }
  return figureDirectory;
}

/**
 * Why the figure directory is not a whole one written by writeFigure, or null when it is: a file
 * listed in manifest.json that is missing or whose sha256 differs. A directory without a manifest
 * (written before manifests existed) is accepted when its meta.json is there.
 */
export function figureDirectoryProblem(figureDirectory: string): string | null {
  const manifestFile = path.join(figureDirectory, MANIFEST_FILE);
  if (!existsSync(manifestFile)) return existsSync(path.join(figureDirectory, "meta.json")) ? null : "no meta.json";
  let manifest: { files?: Record<string, string> };
  try {
    manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
  } catch {
    return `${MANIFEST_FILE} is not valid JSON`;
  }
  for (const [name, hash] of Object.entries(manifest.files ?? {})) {
    const file = path.join(figureDirectory, name);
    if (!existsSync(file)) return `${name} is missing (listed in ${MANIFEST_FILE})`;
    if (sha256(readFileSync(file)) !== hash) return `${name} does not match the sha256 in ${MANIFEST_FILE} (a mixed or edited directory)`;
  }
  return null;
}

// Old aside, new in, old removed. Only the moment between the two renames has no figure directory.
function swapIn(staging: string, target: string, aside: string, hooks: WriteFigureHooks): void {
  const hadOld = existsSync(target);
  if (hadOld) renameSync(target, aside);
  hooks.betweenRenames?.();
  renameSync(staging, target);
  if (hadOld) rmSync(aside, { recursive: true, force: true });
}

// Staging or set-aside directories of an earlier writer of this figure that was killed (we hold the lock now).
function removeLeftovers(directory: string, id: string): void {
  for (const name of readdirSync(directory)) {
    if (name.startsWith(`.${id}.new-`) || name.startsWith(`.${id}.old-`)) rmSync(path.join(directory, name), { recursive: true, force: true });
  }
}

function uniqueSuffix(): string {
  return `${process.pid}-${randomBytes(4).toString("hex")}`;
}

function sha256(content: string | Uint8Array): string {
  return createHash("sha256").update(content).digest("hex");
}

/** Short hash of the checked-out commit, "unknown" outside a git checkout. */
export function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: workspaceRoot(),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim() || "unknown";
  } catch {
    return "unknown";
  }
}

/** CPU count and model of this machine (what a wall time was measured on). */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuCount: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    platform: `${os.platform()} ${os.arch()}`,
    node: process.version,
  };
}

function checkOutput(output: FigureOutput): void {
  const source = `writeFigure(${JSON.stringify(output.id)})`;
  if (!/^[a-z0-9-]+$/.test(output.id)) {
    throw new InputError(`${source}: id "${output.id}" is not allowed; ids are lower-case words joined by '-'`);
  }
  if (!(PROFILES as readonly string[]).includes(output.profile)) {
    throw new InputError(`${source}: profile "${output.profile}" is not one of ${PROFILES.join(", ")}`);
  }
  if (!Number.isFinite(output.wallSeconds) || output.wallSeconds < 0) {
    throw new InputError(`${source}: wallSeconds ${output.wallSeconds} must be a finite number >= 0`);
  }
  if (typeof output.spec !== "object" || output.spec === null) {
    throw new InputError(`${source}: spec must be a vega-lite spec object`);
  }
  output.claims.forEach((claim, index) => {
    if (!VERDICTS.includes(claim.verdict)) {
      throw new InputError(`${source}: claims.${index}.verdict "${claim.verdict}" is not one of ${VERDICTS.join(", ")}`);
    }
    if (!(PROFILES as readonly string[]).includes(claim.profile)) {
      throw new InputError(`${source}: claims.${index}.profile "${claim.profile}" is not one of ${PROFILES.join(", ")}`);
    }
  });
}

function finiteOnly(value: unknown): unknown {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(finiteOnly);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, finiteOnly(inner)]));
  }
  return value;
}
