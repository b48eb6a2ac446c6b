/**
 * Re-judges the claims of committed deep-net figures with the verdict rules their configs declare now, from each
 * reports/<id>/data.json and the settings in its meta.json, without training anything, and rewrites
 * reports/<id>/claims.json (atomically). Each re-judged claim says so in its details, with the date and commit of
 * the runs. Run from the repository root:
 *
 *   node --conditions=@sam-repro/source --import tsx tools/rejudge-claims.ts [figure-id ...]
 *
 * Without ids: every deep-net figure (Figs. 1, 9, 10, 12, m-SAM vs m, training convergence). `sam-two-cycle` can be
 * named too (its data.json keeps what its claims need).
 * A bad id or a figure without committed data exits 2 with one line naming it.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { InputError, loadExperiment, reportsDir, writeJsonAtomic, type Profile } from "@sam-repro/runner";
import { rejudgeDeepNetClaims } from "@sam-repro/deep-nets";
import { rejudgeConvergenceClaims } from "@sam-repro/convergence";
/** The figure directory's manifest of sha256 hashes (@sam-repro/figures' write-figure.ts). */
const MANIFEST_FILE = "manifest.json";

const DEFAULT_IDS = ["fig1-perturbations", "msam-vs-m", "fig9-finetuning", "fig10-interpolation", "fig12-label-noise", "deep-net-training-convergence"];
const ALLOWED_IDS = [...DEFAULT_IDS, "sam-two-cycle"];

function readJson(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new InputError(`${file}: missing (the figure has no committed report to re-judge)`);
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
}

function rejudge(id: string): string {
  const directory = path.join(reportsDir(), id);
  const meta = readJson(path.join(directory, "meta.json"));
  const data = readJson(path.join(directory, "data.json"));
  const previous = readJson(path.join(directory, "claims.json")) as unknown as Array<{ id: string; verdict: string }>;
  if ("notRun" in data) return `${id}: not run at its profile (${String(data.notRun)}); claims left as they are`;
  const experiment = loadExperiment(id, meta.profile as Profile, z.unknown());
  const figure = { data, setup: meta.setup as Record<string, unknown> };
  const claims = rejudgeDeepNetClaims(id, figure, experiment) ?? rejudgeConvergenceClaims(id, figure, experiment);
  if (!claims) throw new InputError(`figure id: "${id}" has no re-judging function; allowed: ${ALLOWED_IDS.join(", ")}`);
  const note = `Re-judged by tools/rejudge-claims.ts from the committed data.json (runs of ${String(meta.date)}, commit ${String(meta.commit)}); nothing retrained.`;
  const claimsFile = path.join(directory, "claims.json");
  writeJsonAtomic(claimsFile, claims.map((claim) => ({ ...claim, details: `${note} ${claim.details ?? ""}`.trim() })));
  // A directory written with a manifest of sha256 hashes (the report refuses a mismatch): record the new claims.json.
  const manifestFile = path.join(directory, MANIFEST_FILE);
  if (existsSync(manifestFile)) {
    const manifest = readJson(manifestFile) as { files: Record<string, string> };
    manifest.files["claims.json"] = createHash("sha256").update(readFileSync(claimsFile)).digest("hex");
    writeJsonAtomic(manifestFile, manifest);
  }
  const changes = claims.map((claim) => `${claim.id}: ${previous.find((p) => p.id === claim.id)?.verdict ?? "new"} -> ${claim.verdict}`);
  return `${id}: ${changes.join("; ")}`;
}

try {
  const ids = process.argv.slice(2);
  for (const id of ids.length ? ids : DEFAULT_IDS) console.log(rejudge(id));
} catch (error) {
  if (error instanceof InputError) {
    console.error(error.message.split("\n")[0]);
    process.exit(2);
  }
  throw error;
}
