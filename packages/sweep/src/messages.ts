/**
 * What travels through the queue: a training request (the job's data) and its result (the job's return
 * value). Both are validated where they arrive, so a malformed message fails its job with an error that
 * names the field instead of crashing a worker or corrupting the run store.
 */
import path from "node:path";
import { z } from "zod";
import { trainConfigSchema, type RunResult, type TrainConfig } from "@sam-repro/deep-nets";
import { PROFILES, type Profile } from "@sam-repro/runner";

/** Format tag of a job's data; a worker rejects any other. */
export const REQUEST_FORMAT = "sam-repro/train@1";

/** A path inside the runs directory: relative, no "..", no empty parts. */
const runPathSchema = z
  .string()
  .min(1)
  .refine((value) => !path.isAbsolute(value) && value.split(/[\\/]/).every((part) => part !== "" && part !== "." && part !== ".."), {
    message: "must be a relative path inside the runs directory (no '..', not absolute)",
  });

/** The run a fine-tuning job starts from, shipped with the job (only Redis is shared between machines). */
const initSourceSchema = z.strictObject({
  /** Where the source run goes under the worker's runs directory. */
  directory: runPathSchema,
  /** Its result.json, verbatim. */
  resultJson: z.string().min(2),
  /** Its final weights file (name as in result.json, contents base64). */
  weightsFile: z.string().regex(/^[\w.-]+\.bin$/),
  weightsBase64: z.string(),
});

/** The data of one queued training run. */
export const trainRequestSchema = z.strictObject({
  format: z.literal(REQUEST_FORMAT),
  name: z.string().min(1),
  profile: z.enum(PROFILES),
  /** The run directory under the runs directory: deep-nets/<profile>/<name>-<hash>. */
  directory: runPathSchema,
  /** The run identity on the sweeping machine (config hash with its backend). */
  hash: z.string().min(1),
  config: trainConfigSchema,
  initSource: initSourceSchema.nullable(),
});
export type TrainRequest = z.infer<typeof trainRequestSchema>;

/** What a worker returns: the run's result and its final weights (base64; empty for a run without). */
export interface TrainReply {
  result: RunResult;
  weightsBase64: string;
}

const trainReplySchema = z.object({
  result: z.object({ hash: z.string(), status: z.enum(["completed", "diverged"]), metrics: z.array(z.unknown()), weightsFile: z.string() }).passthrough(),
  weightsBase64: z.string(),
});

/** Validates a job's data; throws an Error naming the first bad field (and its value) otherwise. */
export function parseTrainRequest(data: unknown): TrainRequest & { config: TrainConfig } {
  const parsed = trainRequestSchema.safeParse(data);
  if (!parsed.success) throw new Error(`malformed training request: ${describeIssue(parsed.error, data)}`);
  return parsed.data;
}

/** Validates a job's return value. */
export function parseTrainReply(value: unknown): TrainReply {
  const parsed = trainReplySchema.safeParse(value);
  if (!parsed.success) throw new Error(`malformed training result: ${describeIssue(parsed.error, value)}`);
  return parsed.data as unknown as TrainReply;
}

function describeIssue(error: z.ZodError, data: unknown): string {
  const issue = error.issues[0]!;
  const field = issue.path.length ? issue.path.join(".") : "(the message)";
  let value: unknown = data;
  for (const key of issue.path) value = value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined;
  const shown = JSON.stringify(value);
  return `${field}: ${issue.message} (got ${shown === undefined ? "nothing" : shown.length > 80 ? shown.slice(0, 77) + "..." : shown})`;
}

/** The queue's job id of a run: its directory with "/" replaced (stable, so a run is queued once). */
export function jobIdOf(directory: string): string {
  return directory.split(/[\\/]/).join(".");
}

export type { Profile };
