// Keeps the README's examples and their tests identical: a ```ts block of packages/sam/README.md is import lines
// followed by the code between the two marker comments of a test file (verbatim, dedented), and the test file
// has the same import lines.
import { readFileSync } from "node:fs";
import path from "node:path";

export const README_FILE = path.join(import.meta.dirname, "..", "README.md");

/** The ```ts blocks of the package README. */
export function readmeTypeScriptBlocks(file = README_FILE): string[] {
  return [...readFileSync(file, "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!.trimEnd());
}

/** The example between "// --- README example starts ---" and "// --- README example ends ---" in `testFile`, dedented. */
export function markedExample(testFile: string): string {
  const source = readFileSync(testFile, "utf8");
  const match = /\/\/ --- README example starts ---\n([\s\S]*?)\n\s*\/\/ --- README example ends ---/.exec(source);
  if (!match) throw new Error(`${testFile}: no README example markers`);
  const lines = match[1]!.split("\n");
  const indent = Math.min(...lines.filter((line) => line.trim()).map((line) => line.length - line.trimStart().length));
  return lines.map((line) => line.slice(indent)).join("\n").trimEnd();
}

/** The README block whose code (after its import lines) is the marked example of `testFile`, and its imports. */
export function matchingReadmeBlock(testFile: string): { found: boolean; missingImports: string[] } {
  const example = markedExample(testFile);
  const testSource = readFileSync(testFile, "utf8");
  for (const block of readmeTypeScriptBlocks()) {
    const lines = block.split("\n");
    const imports = lines.filter((line) => line.startsWith("import "));
    const body = lines.slice(imports.length).join("\n").trim();
    if (body === example) return { found: true, missingImports: imports.filter((line) => !testSource.includes(line)) };
  }
  return { found: false, missingImports: [] };
}
