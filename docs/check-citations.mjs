#!/usr/bin/env node
// Checks that every "SPEC x.y" cited in the repository resolves to a section of docs/spec.md: a heading
// ("### 2.4 ...", "### 5.C ..."), a bold item ("**5.A1 ...") or a lettered rule of 1.3 ("(h) **..."); and that every
// "SPEC-ADDENDUM F-x" names a figure listed in §3.10.
// Usage: node docs/check-citations.mjs   (exit 1 and a list of the unresolved citations otherwise)
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const spec = readFileSync(path.join(root, "docs", "spec.md"), "utf8");
const SKIP = new Set(["node_modules", "dist", ".git", ".nx", "runs", "data"]);
const EXTENSIONS = new Set([".ts", ".mjs", ".js", ".json", ".md", ".cc", ".h", ".cpp"]);

function* files(directory) {
  for (const name of readdirSync(directory)) {
    if (SKIP.has(name)) continue;
    const full = path.join(directory, name);
    if (statSync(full).isDirectory()) yield* files(full);
    else if (EXTENSIONS.has(path.extname(name)) && !full.startsWith(path.join(root, "docs"))) yield full;
  }
}

const sections = new Set();
for (const match of spec.matchAll(/^#{2,4} (\d+(?:\.[A-Z0-9]+)?)\.? /gm)) sections.add(match[1]);
for (const match of spec.matchAll(/\*\*(\d+\.[A-Z]\d+) /g)) sections.add(match[1]);
const lettered = new Set([...spec.matchAll(/^\(([a-i])\) \*\*/gm)].map((match) => match[1]));

const unresolved = new Map();
let count = 0;
for (const file of files(root)) {
  const text = readFileSync(file, "utf8");
  for (const match of text.matchAll(/SPEC ?§?(\d+(?:\.[A-Z0-9]+)?)(?: ?\(?([a-i])\b\)?)?/g)) {
    count++;
    const [, section, letter] = match;
    const ok = sections.has(section) && (!letter || section !== "1.3" || lettered.has(letter));
    if (!ok) unresolved.set(`${section}${letter ?? ""}`, path.relative(root, file));
  }
}
// "SPEC-ADDENDUM F-x" cites the addendum's figures, listed in §3.10 as "**F-x,".
const addendumFigures = new Set([...spec.matchAll(/\*\*(F-[a-f]),/g)].map((match) => match[1]));
for (const file of files(root)) {
  for (const match of readFileSync(file, "utf8").matchAll(/SPEC-ADDENDUM,? (F-[a-z])\b/g)) {
    count++;
    if (!addendumFigures.has(match[1])) unresolved.set(`-ADDENDUM ${match[1]}`, path.relative(root, file));
  }
}
if (unresolved.size) {
  for (const [section, file] of unresolved) console.error(`SPEC ${section} (e.g. in ${file}) has no section in docs/spec.md`);
  process.exit(1);
}
console.log(`${count} SPEC citations, all resolve to docs/spec.md (${sections.size} sections).`);
