#!/usr/bin/env node
// Checks docs/quantities.md against the repository: every figure id of experiments/*.json has a section
// ("### `<id>`") and every such section names a figure; every link resolves (a heading of this page, another
// docs page and its heading, or a file of the repository); every cited `packages/...ts:name` file exists and
// still contains `name`.
// Usage: node docs/check-quantities.mjs [--doc FILE] [--experiments DIR]
//   (exit 1 with one line per problem; exit 2 on a bad flag)
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function parseArguments(argv) {
  const options = { doc: path.join(root, "docs", "quantities.md"), experiments: path.join(root, "experiments") };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    const key = { "--doc": "doc", "--experiments": "experiments" }[flag];
    if (!key) usageError(`unknown flag ${JSON.stringify(flag)}; allowed: --doc FILE, --experiments DIR`);
    if (value === undefined) usageError(`${flag}: missing value`);
    options[key] = path.resolve(value);
  }
  if (!existsSync(options.doc) || !statSync(options.doc).isFile()) usageError(`--doc: ${options.doc} is not a file`);
  if (!existsSync(options.experiments) || !statSync(options.experiments).isDirectory()) usageError(`--experiments: ${options.experiments} is not a directory`);
  return options;
}

function usageError(message) {
  console.error(`error: ${message}`);
  process.exit(2);
}

/** Heading anchors as GitHub makes them: lower case, punctuation dropped, spaces to "-", repeats numbered. */
function anchorsOf(markdown) {
  const anchors = new Set();
  const seen = new Map();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const match = !fenced && /^#{1,6} (.+?)\s*#*\s*$/.exec(line);
    if (!match) continue;
    const text = match[1].replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
    const base = text.toLowerCase().replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "").replace(/\s/g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** The problems of `doc` against the figure ids of `experimentsDir` and the files of the repository. */
export function checkQuantities(docFile, experimentsDir) {
  const problems = [];
  const doc = readFileSync(docFile, "utf8");
  const ids = new Map();
  for (const name of readdirSync(experimentsDir).filter((file) => file.endsWith(".json")).sort()) {
    try {
      const config = JSON.parse(readFileSync(path.join(experimentsDir, name), "utf8"));
      ids.set(typeof config.id === "string" ? config.id : name.slice(0, -5), name);
    } catch (error) {
      problems.push(`${name}: not valid JSON (${error.message})`);
    }
  }
  const sections = new Set([...doc.matchAll(/^### `([^`]+)`\s*$/gm)].map((match) => match[1]));
  for (const [id, file] of ids) if (!sections.has(id)) problems.push(`figure ${id} (experiments/${file}) has no section "### \`${id}\`" in ${path.relative(root, docFile)}`);
  for (const id of sections) if (!ids.has(id)) problems.push(`section "### \`${id}\`" names no figure of experiments/`);

  const anchorCache = new Map();
  const anchorsIn = (file) => anchorCache.get(file) ?? anchorCache.set(file, anchorsOf(readFileSync(file, "utf8"))).get(file);
  for (const [, target] of doc.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(target)) continue; // http(s), mailto
    if (!/^#|[/.]/.test(target)) continue; // "[...](w)" in a formula, not a link
    const [file, anchor] = target.split("#");
    const resolved = file ? path.resolve(path.dirname(docFile), file) : docFile;
    if (!existsSync(resolved)) problems.push(`link ${target}: ${path.relative(root, resolved)} does not exist`);
    else if (anchor !== undefined && !anchorsIn(resolved).has(anchor)) problems.push(`link ${target}: no heading with anchor #${anchor} in ${path.relative(root, resolved)}`);
  }

  for (const [, file, name] of doc.matchAll(/`(packages\/[^`:\s]+\.(?:ts|mjs|js)):([A-Za-z_$][\w$]*)`/g)) {
    const full = path.join(root, file);
    if (!existsSync(full)) problems.push(`${file}:${name}: the file does not exist`);
    else if (!new RegExp(`\\b${name.replace(/\$/g, "\\$")}\\b`).test(readFileSync(full, "utf8"))) problems.push(`${file}:${name}: ${name} is not in the file`);
  }
  return { problems, figures: ids.size, sections: sections.size };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const options = parseArguments(process.argv.slice(2));
  const { problems, figures } = checkQuantities(options.doc, options.experiments);
  if (problems.length) {
    for (const problem of problems) console.error(problem);
    process.exit(1);
  }
  console.log(`${figures} figures, each with a section in ${path.relative(root, options.doc)}; every link and cited function resolves.`);
}
