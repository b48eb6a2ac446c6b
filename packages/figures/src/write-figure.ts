import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { InputError, PROFILES, reportsDir, workspaceRoot, writeFileAtomic, writeJsonAtomic } from "@sam-repro/runner";
import { renderSvg, svgToPng } from "./render.js";
import { houseStyle } from "./style.js";
import { VERDICTS, type FigureMeta, type FigureOutput, type MachineInfo } from "./types.js";

/** The files of one figure directory, in the order they are written (meta.json last marks it complete). */
export const FIGURE_FILES = ["data.json", "spec.vl.json", "figure.svg", "figure.png", "claims.json", "meta.json"] as const;

/**
 * Writes reports/<id>/{data.json, spec.vl.json, figure.svg, figure.png, claims.json, meta.json}, each
 * atomically, meta.json last (the report only lists figures whose meta.json exists); returns the directory.
 * The spec gets the house style; non-finite numbers in it become null, so the stored spec renders as drawn.
 */
export async function writeFigure(output: FigureOutput, directory: string = reportsDir()): Promise<string> {
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
  writeJsonAtomic(path.join(figureDirectory, "data.json"), output.data);
  writeJsonAtomic(path.join(figureDirectory, "spec.vl.json"), spec);
  writeFileAtomic(path.join(figureDirectory, "figure.svg"), svg);
  writeFileAtomic(path.join(figureDirectory, "figure.png"), png);
  writeJsonAtomic(path.join(figureDirectory, "claims.json"), output.claims);
  writeJsonAtomic(path.join(figureDirectory, "meta.json"), meta);
  return figureDirectory;
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
