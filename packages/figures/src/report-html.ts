/**
 * reports/index.html: one self-contained page from the figure views (the same content as REPORT.md).
 * vega, vega-lite and vega-embed are inlined as classic scripts, each figure's spec as JSON, the live panel as
 * one bundled script; the Content-Security-Policy allows exactly these scripts (by hash) and no network request.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { formatDuration, type FigureNotRun, type ReproduceTimings } from "./report-data.js";
import { REGENERATE_COMMAND, REPORT_INTRO, REPORT_TITLE, shortHeading, type ReportContext } from "./report-markdown.js";
import { FINDINGS_HEADING, OFFICIAL_CODE, PAPER, countsSentence, readableDate, type ClaimView, type FigureView } from "./report-model.js";
import { PAGE_STYLE, pageScript } from "./report-page.js";
import { VERDICTS, type Verdict } from "./types.js";

const require = createRequire(import.meta.url);

/** The UMD builds, in load order (vega-lite needs the global `vega`, vega-embed both). */
const LIBRARIES = [
  { name: "vega", file: "vega.min.js" },
  { name: "vega-lite", file: "vega-lite.min.js" },
  { name: "vega-embed", file: "vega-embed.min.js" },
] as const;

/** Reads the minified UMD builds from node_modules; the packages' `exports` hide build/, so resolve the entry and look beside it. */
export function readLibraryScripts(): Array<{ name: string; code: string }> {
  return LIBRARIES.map(({ name, file }) => {
    const entry = require.resolve(name);
    return { name, code: readFileSync(path.join(path.dirname(entry), file), "utf8") };
  });
}

/** A panel that runs in the reader's browser: a container and the bundled script that fills it. */
export interface LivePanel {
  id: string;
  heading: string;
  intro: string;
  script: string;
}

const VERDICT_LABELS: Record<Verdict, string> = { holds: "hold", "does not hold": "do not hold", inconclusive: "inconclusive", "not run": "not run" };

/** The whole page for the given figures. */
export function renderHtml(
  figures: readonly FigureView[],
  timings: ReproduceTimings,
  context: ReportContext,
  libraries: ReadonlyArray<{ name: string; code: string }>,
  livePanels: readonly LivePanel[] = [],
  notRun: readonly FigureNotRun[] = [],
): string {
  const allClaims = figures.flatMap((figure) => figure.claims);
  const charted = figures.filter((figure) => figure.spec !== null);
  const scripts = [
    ...libraries.map((library) => ({ attributes: ` data-library="${library.name}"`, code: inlineScript(library.code) })),
    ...livePanels.map((panel) => ({ attributes: ` data-live="${panel.id}"`, code: inlineScript(panel.script) })),
    { attributes: ' data-page="true"', code: inlineScript(pageScript(charted.map((figure) => figure.id))) },
  ];
  // No network at all: scripts only these (by hash; vega runs its expressions through its interpreter, no eval),
  // styles inline (vega-embed and its tooltip add style elements), images only as data: URLs.
  const hashes = scripts.map((script) => `'sha256-${createHash("sha256").update(script.code, "utf8").digest("base64")}'`);
  const policy = `default-src 'none'; script-src ${hashes.join(" ")}; style-src 'unsafe-inline'; img-src data: blob:; font-src data:`;
  const timingRows = Object.entries(timings).sort(([a], [b]) => a.localeCompare(b));
  const totals = verdictTotals(figures);
  const parts: string[] = [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${policy}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(REPORT_TITLE)}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    ...scripts.slice(0, libraries.length).map((script) => `<script${script.attributes}>${script.code}</script>`),
    "</head>",
    "<body>",
    '<header class="page">',
    `<h1>${escapeHtml(REPORT_TITLE)}</h1>`,
    `<p class="links">Paper: <a href="${PAPER.url}">${escapeHtml(`${PAPER.title} (${PAPER.venue})`)}</a>, ${escapeHtml(PAPER.arxiv)} · ` +
      `official code: <a href="${OFFICIAL_CODE.url}">${escapeHtml(OFFICIAL_CODE.label)}</a></p>`,
    `<p class="meta">Built at commit <code>${escapeHtml(context.commit)}</code> on ${escapeHtml(readableDate(context.date))}; machine: ${escapeHtml(context.machine)}. ` +
      `Regenerate with <code>${escapeHtml(REGENERATE_COMMAND)}</code>; <code>npm run report</code> rebuilds this page from <code>reports/</code>.</p>`,
    "</header>",
    '<div class="layout">',
    '<nav class="toc" id="toc" aria-label="Contents">',
    "<h2>Contents</h2>",
    '<div class="filter" role="group" aria-label="Filter by verdict">',
    `<button type="button" data-filter="all" aria-pressed="true">all (${allClaims.length})</button>`,
    ...VERDICTS.map((verdict) => `<button type="button" data-filter="${slug(verdict)}" aria-pressed="false">${escapeHtml(VERDICT_LABELS[verdict])} (${totals[verdict]})</button>`),
    "</div>",
    '<p class="meta" id="filter-status" aria-live="polite"></p>',
    `<details class="toc-list" open><summary>${figures.length} figure${figures.length === 1 ? "" : "s"}</summary>`,
    "<ol>",
    '<li><a href="#summary">Summary of all claims</a></li>',
    ...livePanels.map((panel) => `<li><a href="#${panel.id}">${escapeHtml(panel.heading)}</a></li>`),
    ...figures.map(
      (figure) =>
        `<li data-verdicts="${verdictSlugs(figure.claims)}"><a href="#${figure.anchor}">${escapeHtml(figure.heading)}</a>${countBadges(figure.counts)}</li>`,
    ),
    ...(timingRows.length > 0 ? ['<li><a href="#timings">Wall time per reproduce target</a></li>'] : []),
    "</ol>",
    "</details>",
    "</nav>",
    "<main>",
    `<p>${escapeHtml(REPORT_INTRO)}</p>`,
    ...(notRun.length > 0
      ? [
          '<section id="not-run">',
          "<h2>Not yet run at this profile</h2>",
          "<p>These figures have a config but no result here (never run at this profile, or removed when their settings changed); their claims are not counted below.</p>",
          "<ul>",
          ...notRun.map((figure) => `<li>${escapeHtml(figure.title)} (<code>${escapeHtml(figure.id)}</code>): <code>${escapeHtml(`npx sam-repro reproduce ${figure.package} --only ${figure.id}`)}</code></li>`),
          "</ul>",
          "</section>",
        ]
      : []),
    '<section id="summary">',
    "<h2>Summary of all claims</h2>",
    `<p>${escapeHtml(countsSentence(allClaims))}</p>`,
  ];
  if (allClaims.length > 0) {
    parts.push(
      claimsTable(
        ["Figure", "Claim", "Paper", "Ours", "Verdict"],
        figures.flatMap((figure) =>
          figure.claims.map((claim) => ({
            claim,
            cells: [`<a href="#${figure.anchor}">${escapeHtml(shortHeading(figure))}</a>`, statementHtml(claim), escapeHtml(claim.paper), escapeHtml(claim.ours)],
          })),
        ),
      ),
    );
  }
  parts.push("</section>");
  for (const panel of livePanels) {
    parts.push(`<section id="${panel.id}">`, `<h2>${escapeHtml(panel.heading)}</h2>`, `<p>${escapeHtml(panel.intro)}</p>`, `<div id="${panel.id}-panel"></div>`, "</section>");
  }
  for (const figure of figures) parts.push(figureSection(figure));
  if (timingRows.length > 0) {
    parts.push(
      '<section id="timings">',
      "<h2>Wall time per reproduce target</h2>",
      plainTable(
        ["Target", "Profile", "Wall time", "Finished"],
        timingRows.map(([name, timing]) => [
          escapeHtml(`${name}${timing.only ? ` (only ${timing.only.join(", ")})` : ""}`),
          escapeHtml(timing.profile),
          escapeHtml(formatDuration(timing.seconds)),
          escapeHtml(readableDate(timing.date)),
        ]),
      ),
      "</section>",
    );
  }
  parts.push(
    "</main>",
    "</div>",
    ...charted.map((figure) => `<script type="application/json" id="spec-${figure.id}">${inlineJson(figure.spec)}</script>`),
    ...scripts.slice(libraries.length).map((script) => `<script${script.attributes}>${script.code}</script>`),
    "</body>",
    "</html>",
  );
  return `${parts.join("\n")}\n`;
}

function figureSection(figure: FigureView): string {
  const lines = [
    `<section id="${figure.anchor}" data-verdicts="${verdictSlugs(figure.claims)}">`,
    `<h2>${escapeHtml(figure.heading)}</h2>`,
    ...(figure.kind ? [`<p class="kind">${escapeHtml(figure.kind)}</p>`] : []),
    `<p class="meta">${escapeHtml(figure.provenance)}</p>`,
    figure.spec !== null ? `<div class="chart" id="chart-${figure.id}" data-figure="${figure.id}"></div>` : "<p>(no spec.vl.json)</p>",
    `<p class="files">Files: <a href="${figure.id}/data.json">data.json</a> · <a href="${figure.id}/spec.vl.json">spec.vl.json</a> · ` +
      `<a href="${figure.id}/claims.json">claims.json</a> · <a href="${figure.id}/meta.json">meta.json</a>${figure.hasPng ? ` · <a href="${figure.id}/figure.png">figure.png</a>` : ""}</p>`,
    `<p><strong>Scaled down relative to the paper:</strong> ${escapeHtml(figure.scaledDown)}</p>`,
    `<details><summary>Setup at profile ${escapeHtml(figure.profile)}</summary><pre>${escapeHtml(JSON.stringify(figure.setup, null, 2))}</pre></details>`,
  ];
  if (figure.claims.length > 0) {
    lines.push(
      `<p>${escapeHtml(countsSentence(figure.claims))}</p>`,
      claimsTable(
        ["Claim", "Statement", "Paper", "Ours", "Verdict", "How it was judged"],
        figure.claims.map((claim) => ({
          claim,
          cells: [`<code>${escapeHtml(claim.id)}</code>`, statementHtml(claim), escapeHtml(claim.paper), escapeHtml(claim.ours)],
          after: [escapeHtml(claim.details)],
        })),
      ),
    );
  } else {
    lines.push("<p>This figure checks no claim.</p>");
  }
  if (figure.findings.length) {
    lines.push(`<p>${escapeHtml(FINDINGS_HEADING.replace(/\*\*/g, ""))}</p>`, `<ul class="findings">${figure.findings.map((finding) => `<li>${escapeHtml(finding)}</li>`).join("")}</ul>`);
  }
  lines.push("</section>");
  return lines.join("\n");
}

// Claim rows carry their verdict (for the filter) and each cell its column name (shown on narrow screens).
function claimsTable(headers: string[], rows: Array<{ claim: ClaimView; cells: string[]; after?: string[] }>): string {
  const head = `<tr>${headers.map((header) => `<th>${escapeHtml(header)}</th>`).join("")}</tr>`;
  const body = rows.map(({ claim, cells, after = [] }) => {
    const all = [...cells, null, ...after];
    const tds = all.map((content, index) =>
      content === null
        ? `<td class="verdict-${slug(claim.verdict)}" data-label="${escapeHtml(headers[index]!)}">${escapeHtml(claim.verdict)}</td>`
        : `<td data-label="${escapeHtml(headers[index]!)}">${content}</td>`,
    );
    return `<tr data-verdict="${slug(claim.verdict)}">${tds.join("")}</tr>`;
  });
  return `<table class="claims">\n<thead>${head}</thead>\n<tbody>\n${body.join("\n")}\n</tbody>\n</table>`;
}

function plainTable(headers: string[], rows: string[][]): string {
  const head = `<tr>${headers.map((header) => `<th>${escapeHtml(header)}</th>`).join("")}</tr>`;
  const body = rows.map((cells) => `<tr>${cells.map((content, index) => `<td data-label="${escapeHtml(headers[index]!)}">${content}</td>`).join("")}</tr>`);
  return `<table class="claims">\n<thead>${head}</thead>\n<tbody>\n${body.join("\n")}\n</tbody>\n</table>`;
}

function statementHtml(claim: ClaimView): string {
  return `${escapeHtml(claim.statement)}${claim.ourDerivation ? ' <span class="derivation">(our derivation, not the paper\'s)</span>' : ""}`;
}

function countBadges(counts: Record<Verdict, number>): string {
  const badges = VERDICTS.filter((verdict) => counts[verdict] > 0).map(
    (verdict) => `<span class="badge ${slug(verdict)}" title="${escapeHtml(`${counts[verdict]} ${VERDICT_LABELS[verdict]}`)}">${counts[verdict]} ${escapeHtml(VERDICT_LABELS[verdict])}</span>`,
  );
  return badges.length > 0 ? ` <span class="counts">${badges.join("")}</span>` : "";
}

function verdictTotals(figures: readonly FigureView[]): Record<Verdict, number> {
  const totals = Object.fromEntries(VERDICTS.map((verdict) => [verdict, 0])) as Record<Verdict, number>;
  for (const figure of figures) for (const verdict of VERDICTS) totals[verdict] += figure.counts[verdict];
  return totals;
}

function verdictSlugs(claims: readonly ClaimView[]): string {
  return [...new Set(claims.map((claim) => slug(claim.verdict)))].join(" ");
}

function slug(verdict: string): string {
  return verdict.replace(/\s+/g, "-");
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

// A script's text ends at the first "</script"; "<\/script" means the same inside JS strings and regexes.
function inlineScript(code: string): string {
  return code.replace(/<\/(script)/gi, "<\\/$1");
}

// "<" as \u003c keeps the JSON valid and the script element closed only where intended.
function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}
