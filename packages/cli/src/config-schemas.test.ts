import { describe, expect, test } from "@jest/globals";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { InputError, PROFILES, experimentFile, experimentsDir, listExperiments, loadExperiment, schemaReference, type FigureSettings } from "@sam-repro/runner";
import { allFigureSettings, generateSchemaFiles, withSchemaReference, writeSchemas } from "./config-schemas.js";

const figures = await allFigureSettings();
const byId = new Map(figures.map((figure) => [figure.id, figure]));
const configIds = listExperiments();

type JsonSchema = { type?: string; properties?: Record<string, JsonSchema>; additionalProperties?: unknown; items?: JsonSchema; $ref?: string; $defs?: Record<string, JsonSchema> };

/** The schema of one profile of a generated file, following its local "$ref" (#/$defs/<name>). */
function profileSchema(schema: JsonSchema, profile: string): JsonSchema {
  const node = schema.properties!.profiles!.properties![profile]!;
  return node.$ref ? schema.$defs![node.$ref.replace("#/$defs/", "")]! : node;
}

function committedSchema(id: string): JsonSchema {
  return JSON.parse(readFileSync(path.join(experimentsDir(), "schemas", `${id}.schema.json`), "utf8")) as JsonSchema;
}

function rawConfig(id: string): { profiles: Record<string, Record<string, unknown>> } {
  return JSON.parse(readFileSync(experimentFile(id), "utf8")) as { profiles: Record<string, Record<string, unknown>> };
}

describe("JSON Schemas of experiments/*.json", () => {
  test("every committed schema is what the generator writes now, and there is no other (else: npm run schemas)", () => {
    const expected = generateSchemaFiles(figures);
    expect([...expected.keys()].sort()).toEqual(configIds.map((id) => path.join("schemas", `${id}.schema.json`)).sort());
    const committed = readdirSync(path.join(experimentsDir(), "schemas")).map((name) => path.join("schemas", name)).sort();
    expect(committed).toEqual([...expected.keys()].sort());
    for (const [relative, content] of expected) {
      expect({ file: relative, content: readFileSync(path.join(experimentsDir(), relative), "utf8") }).toEqual({ file: relative, content });
    }
  });

  test('every config names its schema as its first key "$schema" (else: npm run schemas)', () => {
    for (const id of configIds) {
      const text = readFileSync(experimentFile(id), "utf8");
      expect({ id, first: Object.keys(JSON.parse(text) as object)[0], schema: (JSON.parse(text) as { $schema?: string }).$schema }).toEqual({
        id,
        first: "$schema",
        schema: schemaReference(id),
      });
      expect(withSchemaReference(text, id, id)).toBe(text);
    }
  });

  test("every profile of every config passes the zod schemas that the JSON Schema is generated from", () => {
    for (const id of configIds) {
      for (const profile of PROFILES) expect(loadExperiment(id, profile, byId.get(id)!.settingsSchema).id).toBe(id);
    }
  });

  test("what zod rejects in a profile, the JSON Schema marks: unknown keys of strict objects, fractional seeds", () => {
    let strictProfiles = 0;
    let integerSeeds = 0;
    for (const id of configIds) {
      const settingsSchema = byId.get(id)!.settingsSchema;
      const smoke = rawConfig(id).profiles.smoke!;
      const generated = profileSchema(committedSchema(id), "smoke");
      expect(settingsSchema.safeParse(smoke).success).toBe(true);
      if (!settingsSchema.safeParse({ ...smoke, noSuchSetting: 1 }).success) {
        expect({ id, additionalProperties: generated.additionalProperties }).toEqual({ id, additionalProperties: false });
        strictProfiles += 1;
      }
      if (Array.isArray(smoke.seeds)) {
        expect(settingsSchema.safeParse({ ...smoke, seeds: [0, 1.5] }).success).toBe(false);
        expect({ id, seeds: generated.properties!.seeds!.type, items: generated.properties!.seeds!.items!.type }).toEqual({ id, seeds: "array", items: "integer" });
        integerSeeds += 1;
      }
    }
    // Every settings schema of this repository is strict, and most figures take seeds: the checks above ran.
    expect(strictProfiles).toBe(configIds.length);
    expect(integerSeeds).toBeGreaterThanOrEqual(20);
    // The envelope is strict too: a misspelt top-level key is flagged by an editor.
    expect(committedSchema(configIds[0]!).additionalProperties).toBe(false);
  });
});

describe("withSchemaReference", () => {
  const text = '{\n  "id": "demo",\n  "profiles": { "smoke": { "seeds": [0, 1] } }\n}\n';

  test("inserts the key as the first line after '{' and keeps every other byte", () => {
    const updated = withSchemaReference(text, "demo", "demo.json");
    expect(updated).toBe('{\n  "$schema": "./schemas/demo.schema.json",\n  "id": "demo",\n  "profiles": { "smoke": { "seeds": [0, 1] } }\n}\n');
    expect(withSchemaReference(updated, "demo", "demo.json")).toBe(updated);
  });

  test("replaces a stale value in place; refuses a $schema that is not the first key, and text that is not JSON", () => {
    const stale = '{\n  "$schema": "./old.json",\n  "id": "demo"\n}\n';
    expect(withSchemaReference(stale, "demo", "demo.json")).toBe('{\n  "$schema": "./schemas/demo.schema.json",\n  "id": "demo"\n}\n');
    expect(() => withSchemaReference('{\n  "id": "demo",\n  "$schema": "./old.json"\n}\n', "demo", "demo.json")).toThrow(/demo\.json: "\$schema" must be the first key/);
    expect(() => withSchemaReference('{ "id": ', "demo", "demo.json")).toThrow(InputError);
  });
});

describe("writeSchemas (temporary experiments directory)", () => {
  function copyOf(ids: string[]): string {
    const directory = mkdtempSync(path.join(os.tmpdir(), "config-schemas-"));
    for (const id of ids) {
      const text = readFileSync(experimentFile(id), "utf8");
      // Without the reference, as a newly added config would be.
      writeFileSync(path.join(directory, `${id}.json`), text.replace(/^ {2}"\$schema": .*\n/m, ""));
    }
    return directory;
  }

  test("writes the schemas and the references once, then nothing; removes the schema of a deleted config", () => {
    const ids = ["fig6-diag-net", "sam-two-cycle"];
    const directory = copyOf(ids);
    const first = writeSchemas(figures, directory);
    expect(first.written.sort()).toEqual([...ids.map((id) => `${id}.json`), ...ids.map((id) => path.join("schemas", `${id}.schema.json`))].sort());
    for (const id of ids) expect(readFileSync(path.join(directory, `${id}.json`), "utf8")).toBe(readFileSync(experimentFile(id), "utf8"));
    expect(writeSchemas(figures, directory)).toEqual({ written: [], removed: [] });
    copyFileSync(path.join(directory, "schemas", "fig6-diag-net.schema.json"), path.join(directory, "schemas", "gone.schema.json"));
    expect(writeSchemas(figures, directory)).toEqual({ written: [], removed: [path.join("schemas", "gone.schema.json")] });
  });

  test("a config no figure declares stops it before anything is written", () => {
    const directory = copyOf(["fig6-diag-net"]);
    writeFileSync(path.join(directory, "no-such-figure.json"), '{\n  "id": "no-such-figure"\n}\n');
    const declared: FigureSettings[] = figures.filter((figure) => figure.id === "fig6-diag-net");
    expect(() => writeSchemas(declared, directory)).toThrow(/no-such-figure\.json: no figure declares id "no-such-figure"; declared: fig6-diag-net/);
    expect(existsSync(path.join(directory, "schemas"))).toBe(false);
    expect(readFileSync(path.join(directory, "fig6-diag-net.json"), "utf8").includes('"$schema"')).toBe(false);
  });
});
