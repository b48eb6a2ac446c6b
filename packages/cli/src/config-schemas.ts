/**
 * The JSON Schemas of experiments/*.json (experiments/schemas/<id>.schema.json), generated from the zod schemas
 * that loadExperiment applies, and the "$schema" key through which an editor finds them. `npm run schemas`
 * (tools/generate-schemas.ts) writes them; config-schemas.test.ts fails when a committed file is stale.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import {
  InputError,
  experimentFile,
  experimentJsonSchema,
  experimentsDir,
  formatJson,
  listExperiments,
  schemaReference,
  writeFileAtomic,
  type FigureSettings,
} from "@sam-repro/runner";

/** experiments/schemas/, where the generated schemas live. */
export const SCHEMAS_DIR_NAME = "schemas";
const SCHEMA_SUFFIX = ".schema.json";

/** Every figure's settings schema, from the three experiment packages (loaded on demand: they are heavy). */
export async function allFigureSettings(): Promise<FigureSettings[]> {
  // One after the other: Jest's module loader fails on concurrent imports that share modules.
  const implicitBias = await import("@sam-repro/implicit-bias");
  const convergence = await import("@sam-repro/convergence");
  const deepNets = await import("@sam-repro/deep-nets");
  return [...(await implicitBias.figureSettings()), ...convergence.THEORY_FIGURES, ...deepNets.DEEP_NET_FIGURES];
}

/**
 * The text of each generated schema file, keyed by its path relative to the experiments directory
 * (schemas/<id>.schema.json), one per config there. A config whose id no figure declares, or an id declared
 * twice, is an InputError naming it.
 */
export function generateSchemaFiles(figures: readonly FigureSettings[], directory = experimentsDir()): Map<string, string> {
  const byId = new Map<string, FigureSettings>();
  for (const figure of figures) {
    if (byId.has(figure.id)) throw new InputError(`figure id: "${figure.id}" is declared by two figures; each config needs exactly one settings schema`);
    byId.set(figure.id, figure);
  }
  const files = new Map<string, string>();
  for (const id of listExperiments(undefined, directory)) {
    const figure = byId.get(id);
    if (!figure) throw new InputError(`${experimentFile(id, directory)}: no figure declares id "${id}"; declared: ${[...byId.keys()].sort().join(", ")}`);
    files.set(path.join(SCHEMAS_DIR_NAME, `${id}${SCHEMA_SUFFIX}`), formatJson(experimentJsonSchema(id, figure.settingsSchema)));
  }
  return files;
}

/**
 * A config's text with "$schema": "./schemas/<id>.schema.json" as its first key, every other byte kept (the
 * configs are hand-formatted: short arrays stay on one line). An existing "$schema" value is replaced in place.
 * `source` names the file in errors.
 */
export function withSchemaReference(text: string, id: string, source: string): string {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new InputError(`${source}: not valid JSON: ${(error as Error).message}`);
  }
  const reference = schemaReference(id);
  if (Object.keys(parsed)[0] === "$schema" && parsed.$schema === reference) return text;
  let updated: string;
  if ("$schema" in parsed) {
    updated = text.replace(/^(\s*"\$schema"\s*:\s*)"(?:[^"\\]|\\.)*"/m, `$1${JSON.stringify(reference)}`);
  } else {
    const opening = /^\{[ \t]*\r?\n([ \t]*)/.exec(text);
    if (!opening) throw new InputError(`${source}: expected "{" alone on the first line (the configs' layout); add "$schema": "${reference}" by hand`);
    updated = `{\n${opening[1]}"$schema": ${JSON.stringify(reference)},\n${text.slice(opening[0].length - opening[1].length)}`;
  }
  const check = JSON.parse(updated) as Record<string, unknown>;
  if (Object.keys(check)[0] !== "$schema" || !isDeepStrictEqual(check, { ...parsed, $schema: reference })) {
    throw new InputError(`${source}: "$schema" must be the first key; move it there by hand (found keys ${Object.keys(parsed).slice(0, 3).join(", ")}, ...)`);
  }
  return updated;
}

/** What writeSchemas changed, as paths relative to the experiments directory. */
export interface SchemaChanges {
  written: string[];
  removed: string[];
}

/**
 * Writes the generated schemas and the configs' "$schema" keys, each file atomically and only when its content
 * changes; removes schema files whose config is gone. Everything is computed before the first write, so a bad
 * config leaves every file as it was.
 */
export function writeSchemas(figures: readonly FigureSettings[], directory = experimentsDir()): SchemaChanges {
  const files = generateSchemaFiles(figures, directory);
  for (const id of listExperiments(undefined, directory)) {
    const file = experimentFile(id, directory);
    files.set(`${id}.json`, withSchemaReference(readFileSync(file, "utf8"), id, file));
  }
  const changes: SchemaChanges = { written: [], removed: [] };
  for (const [relative, content] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const file = path.join(directory, relative);
    if (existsSync(file) && readFileSync(file, "utf8") === content) continue;
    writeFileAtomic(file, content);
    changes.written.push(relative);
  }
  const schemasDirectory = path.join(directory, SCHEMAS_DIR_NAME);
  for (const name of existsSync(schemasDirectory) ? readdirSync(schemasDirectory).sort() : []) {
    const relative = path.join(SCHEMAS_DIR_NAME, name);
    if (name.endsWith(SCHEMA_SUFFIX) && !files.has(relative)) {
      rmSync(path.join(directory, relative));
      changes.removed.push(relative);
    }
  }
  return changes;
}
