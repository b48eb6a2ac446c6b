/**
 * JSON Schemas of the experiment configs, generated from the zod schemas that validate them at run time, so
 * that an editor can check experiments/<id>.json (through its "$schema" key) with the very rules
 * loadExperiment applies. Pure: building the schema does no I/O.
 */
import { z } from "zod";
import { experimentFileSchema } from "./config.js";

/** A figure's id and the zod schema of one profile's settings in experiments/<id>.json. */
export interface FigureSettings {
  id: string;
  settingsSchema: z.ZodType;
}

/** Where a config points its "$schema": experiments/schemas/<id>.schema.json, relative to the config. */
export function schemaReference(id: string): string {
  return `./schemas/${id}.schema.json`;
}

/**
 * The JSON Schema of experiments/<id>.json: the common envelope (id, title, claims and their rules, ...) with
 * every profile's settings replaced by `settingsSchema`. Input shape (`io: "input"`): a field with a zod
 * default is optional, as it is in the file. What JSON Schema cannot say (transforms, custom checks) is left
 * open (`unrepresentable: "any"`); loadExperiment still checks it. Keys come in the order the zod schemas
 * declare them (deterministic, and the order of the configs' own keys).
 */
export function experimentJsonSchema(id: string, settingsSchema: z.ZodType): Record<string, unknown> {
  const withSettings = experimentFileSchema.extend({
    profiles: z.strictObject({ smoke: settingsSchema, quick: settingsSchema.optional(), cpu: settingsSchema, paper: settingsSchema }),
  });
  // The settings are written once, under $defs.settings, and each profile refers to them (4x smaller files).
  const names = z.registry<{ id: string }>().add(settingsSchema, { id: "settings" });
  const { $schema: draft, ...rest } = z.toJSONSchema(withSettings, { io: "input", unrepresentable: "any", metadata: names }) as Record<string, unknown>;
  // The draft stays first; the title names the file an editor is checking.
  return { $schema: draft, title: `experiments/${id}.json`, ...rest };
}
