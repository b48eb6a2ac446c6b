import { readFileSync, existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { experimentsDir } from "./paths.js";
import { InputError } from "./errors.js";
import { PROFILES, type Profile } from "./profiles.js";
import { claimRuleSchema } from "./verdicts/rules.js";

/** A claim of the paper that an experiment checks; the value the paper gives, when it gives one. */
export const claimSpecSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/, "claim ids are lower-case words joined by '-'"),
  statement: z.string().min(1),
  paperValue: z.union([z.string(), z.number()]).nullable(),
  /** The verdict rule, fixed before any run (packages/runner/src/verdicts/rules.ts); every claim declares one. */
  rule: claimRuleSchema,
  /** Whose claim it is: the paper's (the default) or a derivation of ours that the paper does not state. */
  derivation: z.enum(["paper", "ours"]).optional(),
});
export type ClaimSpec = z.infer<typeof claimSpecSchema>;

/** The common fields of experiments/<id>.json; each profile's settings are checked by the figure's own schema. */
export const experimentFileSchema = z.strictObject({
  $schema: z.string().optional(),
  id: z.string().regex(/^[a-z0-9-]+$/, "figure ids are lower-case words joined by '-'"),
  title: z.string().min(1),
  paperFigure: z.string().min(1),
  package: z.string().min(1),
  description: z.string().min(1),
  /** Values read off the paper (SPEC section 3), stored as given there. */
  reference: z.record(z.string(), z.unknown()),
  claims: z.array(claimSpecSchema).min(1),
  /** Settings the paper does not give, and the choice made here (SPEC section 5.C). */
  unspecified: z.array(z.string()).default([]),
  profiles: z.strictObject({ smoke: z.unknown(), quick: z.unknown().optional(), cpu: z.unknown(), paper: z.unknown() }),
  /**
   * What we read in one profile's results, written after its runs (e.g. why a claim does not hold there). The
   * report prints it under the claims, labelled as such; it never changes a verdict (those follow claims[].rule).
   */
  findings: z
    .strictObject({
      smoke: z.array(z.string().min(1)).optional(),
      quick: z.array(z.string().min(1)).optional(),
      cpu: z.array(z.string().min(1)).optional(),
      paper: z.array(z.string().min(1)).optional(),
    })
    .optional(),
});

export interface ExperimentConfig<Settings> {
  id: string;
  title: string;
  paperFigure: string;
  package: string;
  description: string;
  reference: Record<string, unknown>;
  claims: ClaimSpec[];
  unspecified: string[];
  profile: Profile;
  settings: Settings;
  /** The file it was read from. */
  file: string;
}

/** Formats zod issues as "<file>: <field path>: <problem>" lines. */
export function describeValidationError(source: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length ? issue.path.map(String).join(".") : "(root)";
      const received = "input" in issue && issue.input !== undefined ? ` (got ${JSON.stringify(issue.input)})` : "";
      return `${source}: ${field}: ${issue.message}${received}`;
    })
    .join("\n");
}


/** Validates `value` against `schema`, throwing an InputError that names `source` and each bad field. */
export function validate<T extends z.ZodType>(schema: T, value: unknown, source: string): z.infer<T> {
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) throw new InputError(describeValidationError(source, result.error));
  return result.data;
}

/** Path of the config of one figure: `experiments/<id>.json`. */
export function experimentFile(id: string, directory = experimentsDir()): string {
  return path.join(directory, `${id}.json`);
}

/** Ids of every experiment config, optionally only those of one package. */
export function listExperiments(packageName?: string, directory = experimentsDir()): string[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith(".json") && !name.startsWith("_"))
    .map((name) => name.slice(0, -".json".length))
    .filter((id) => {
      if (!packageName) return true;
      const raw = JSON.parse(readFileSync(experimentFile(id, directory), "utf8")) as { package?: string };
      return raw.package === packageName;
    })
    .sort();
}

/**
 * Loads `experiments/<id>.json` (or `file`), validates its common fields and the chosen profile's
 * settings with `settingsSchema`. Errors name the file, the field path, the bad value and the rule.
 */
export function loadExperiment<S extends z.ZodType>(
  idOrFile: string,
  profile: Profile,
  settingsSchema: S,
): ExperimentConfig<z.infer<S>> {
  const file = idOrFile.endsWith(".json") ? path.resolve(idOrFile) : experimentFile(idOrFile);
  if (!existsSync(file)) throw new InputError(`experiment config not found: ${file}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new InputError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  const common = validate(experimentFileSchema, raw, file);
  if (!PROFILES.includes(profile)) throw new InputError(`profile: unknown "${profile}"; allowed: ${PROFILES.join(", ")}`);
  // A figure that is fast at its cpu settings has no quick profile: quick runs those.
  const chosen = profile === "quick" && common.profiles.quick === undefined ? "cpu" : profile;
  const settings = validate(settingsSchema, common.profiles[chosen], `${file}: profiles.${chosen}`);
  return {
    id: common.id,
    title: common.title,
    paperFigure: common.paperFigure,
    package: common.package,
    description: common.description,
    reference: common.reference,
    claims: common.claims,
    unspecified: common.unspecified,
    profile,
    settings,
    file,
  };
}
