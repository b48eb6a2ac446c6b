/**
 * Writes experiments/schemas/<id>.schema.json for every config in experiments/, generated from the zod schemas
 * that validate it (the common envelope and the figure's settings), and makes "$schema" the first key of each
 * config so that editors validate and complete it. Deterministic; files whose content is unchanged are not
 * touched. Run from the repository root after adding a figure or changing a settings schema:
 *
 *   npm run schemas        (node --conditions=@sam-repro/source --import tsx tools/generate-schemas.ts)
 *
 * A config that is not valid JSON or whose id no figure declares exits 2 with one line naming it; nothing is
 * written then.
 */
import { InputError } from "@sam-repro/runner";
import { allFigureSettings, writeSchemas } from "@sam-repro/cli";

try {
  const { written, removed } = writeSchemas(await allFigureSettings());
  for (const file of written) console.log(`wrote experiments/${file}`);
  for (const file of removed) console.log(`removed experiments/${file} (no config)`);
  if (written.length + removed.length === 0) console.log("experiments/: schemas and \"$schema\" keys up to date");
} catch (error) {
  if (error instanceof InputError) {
    console.error(error.message.split("\n")[0]);
    process.exit(2);
  }
  throw error;
}
