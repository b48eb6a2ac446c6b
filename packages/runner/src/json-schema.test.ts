import { describe, expect, test } from "@jest/globals";
import { z } from "zod";
import { experimentJsonSchema, schemaReference } from "./json-schema.js";

type Node = { type?: string; properties?: Record<string, Node>; required?: string[]; additionalProperties?: unknown; items?: Node; $ref?: string; $defs?: Record<string, Node> };

describe("experimentJsonSchema", () => {
  const settings = z.strictObject({ seeds: z.array(z.number().int().min(0)).min(1), steps: z.number().int().default(3) });
  const schema = experimentJsonSchema("demo", settings) as Node & { $schema?: string; title?: string };
  const profiles = schema.properties!.profiles!;

  test("names the draft first and the file in its title", () => {
    expect(Object.keys(schema).slice(0, 2)).toEqual(["$schema", "title"]);
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.title).toBe("experiments/demo.json");
  });

  test("every profile takes the figure's settings, in their input shape (a field with a default is optional)", () => {
    expect(profiles.required).toEqual(["smoke", "cpu", "paper"]);
    // Written once under $defs.settings; every profile refers to it.
    for (const name of ["smoke", "quick", "cpu", "paper"]) expect(profiles.properties![name]!.$ref).toBe("#/$defs/settings");
    expect(Object.keys(schema.$defs!)).toEqual(["settings"]);
    const profile = schema.$defs!.settings!;
    expect(profile.additionalProperties).toBe(false);
    expect(profile.required).toEqual(["seeds"]);
    expect(profile.properties!.seeds!.items!.type).toBe("integer");
    expect(profile.properties!.steps!.type).toBe("integer");
  });

  test("keeps the envelope: strict, claims required, $schema allowed as a string", () => {
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(["id", "title", "claims", "profiles"]));
    expect(schema.required).not.toContain("unspecified");
    expect(schema.properties!.$schema!.type).toBe("string");
    expect(schema.properties!.claims!.type).toBe("array");
  });

  test("is deterministic and points configs at schemas/<id>.schema.json", () => {
    expect(JSON.stringify(experimentJsonSchema("demo", settings))).toBe(JSON.stringify(schema));
    expect(schemaReference("demo")).toBe("./schemas/demo.schema.json");
  });
});
