import { existsSync, readFileSync } from "node:fs";
import { InputError } from "@sam-repro/runner";
import { parseProblem, type RegressionProblem } from "./problem.js";

/**
 * Reads a user problem from a JSON file `{"X": [[...]], "y": [...], "Xtest": [[...]], "ytest": [...]}`;
 * errors (InputError) name the file and the offending field.
 */
export function loadProblemFile(file: string): RegressionProblem {
  if (!existsSync(file)) throw new InputError(`--problem: file not found: ${file}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new InputError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  return parseProblem(raw, file);
}
