/**
 * reports/index.html: one self-contained page. vega, vega-lite and vega-embed are inlined as classic
 * scripts (ES modules do not load from file://), each figure's spec is inlined as JSON, and a
 * Content-Security-Policy forbids every network request.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { formatDuration, formatMachine, formatValue, scaledDownText, type FigureEntry, type ReproduceTimings } from "./report-data.js";
import { REGENERATE_COMMAND, REPORT_TITLE, anchor, countsSentence, type ReportContext } from "./report-markdown.js";

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

// No network at all: scripts and styles only inline, images only as data: URLs (vega needs eval for expressions).
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src data:";

const STYLE = `
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; border-top: 1px solid #ccc; padding-top: 1rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.verdict-holds { background: #e7f5e7; } td.verdict-does-not-hold { background: #fbe3e3; } td.verdict-not-run { background: #f0f0f0; }
.meta { color: #555; font-size: 0.9rem; }
pre { background: #f7f7f7; padding: 0.6rem; overflow-x: auto; font-size: 0.85rem; }
.chart { margin: 1rem 0; overflow-x: auto; }
.chart-error { color: #b00; white-space: pre-wrap; }
`;

/** The whole page for the given figures. */
export function renderHtml(
  figures: readonly FigureEntry[],
  timings: ReproduceTimings,
  context: ReportContext,
  libraries: ReadonlyArray<{ name: string; code: string }>,
): string {
  const allClaims = figures.flatMap((figure) => figure.claims);
  const charted = figures.filter((figure) => figure.spec !== null);
  const parts: string[] = [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(REPORT_TITLE)}</title>`,
    `<style>${STYLE}</style>`,
    ...libraries.map((library) => `<script data-library="${library.name}">${inlineScript(library.code)}</script>`),
    "</head>",
    "<body>",
    `<h1>${escapeHtml(REPORT_TITLE)}</h1>`,
    `<p class="meta">Built at commit <code>${escapeHtml(context.commit)}</code> on ${escapeHtml(context.date)}, machine: ${escapeHtml(context.machine)}. ` +
      `Regenerate with <code>${escapeHtml(REGENERATE_COMMAND)}</code>; <code>npm run report</code> rebuilds this page from <code>reports/</code>.</p>`,
    "<h2>Summary</h2>",
    `<p>${escapeHtml(countsSentence(allClaims))}</p>`,
  ];
  if (allClaims.length > 0) {
    parts.push(
      table(
        ["Figure", "Claim", "Paper", "Ours", "Verdict", "Profile"],
        figures.flatMap((figure) =>
          figure.claims.map((claim) => [
            `<a href="#${anchor(figure)}">${escapeHtml(figure.meta.paperFigure)}</a>`,
            escapeHtml(claim.statement),
            escapeHtml(formatValue(claim.paperValue)),
            escapeHtml(formatValue(claim.ourValue)),
            verdictCell(claim.verdict),
            escapeHtml(claim.profile),
          ]),
        ),
      ),
    );
  }
  const timingRows = Object.entries(timings).sort(([a], [b]) => a.localeCompare(b));
  if (timingRows.length > 0) {
    parts.push(
      "<h2>Wall time per reproduce target</h2>",
      table(
        ["Target", "Profile", "Wall time", "Finished"],
        timingRows.map(([name, timing]) => [
          escapeHtml(`${name}${timing.only ? ` (only ${timing.only.join(", ")})` : ""}`),
          escapeHtml(timing.profile),
          escapeHtml(formatDuration(timing.seconds)),
          escapeHtml(timing.date),
        ]),
      ),
    );
  }
  for (const figure of figures) parts.push(figureSection(figure));
  parts.push(
    ...charted.map(
      (figure) =>
        `<script type="application/json" id="spec-${figure.meta.id}">${inlineJson(figure.spec)}</script>`,
    ),
    `<script>${inlineScript(embedScript(charted.map((figure) => figure.meta.id)))}</script>`,
    "</body>",
    "</html>",
  );
  return `${parts.join("\n")}\n`;
}

function figureSection(figure: FigureEntry): string {
  const { meta } = figure;
  const lines = [
    `<section id="${anchor(figure)}">`,
    `<h2>${escapeHtml(meta.paperFigure)}: ${escapeHtml(meta.title)}</h2>`,
    `<p class="meta"><code>reports/${escapeHtml(meta.id)}/</code> · profile <code>${escapeHtml(meta.profile)}</code> · wall time ${escapeHtml(formatDuration(meta.wallSeconds))} · commit <code>${escapeHtml(meta.commit)}</code> · ${escapeHtml(meta.date)}<br>` +
      `Machine: ${escapeHtml(formatMachine(meta.machine))}${meta.backend ? `; backend: ${escapeHtml(meta.backend)}` : ""}</p>`,
    figure.spec !== null
      ? `<div class="chart" id="chart-${meta.id}" data-figure="${meta.id}"></div>`
      : "<p>(no spec.vl.json)</p>",
    `<p><strong>Scaled down relative to the paper:</strong> ${escapeHtml(scaledDownText(meta))}</p>`,
    `<details><summary>Setup at profile ${escapeHtml(meta.profile)}</summary><pre>${escapeHtml(JSON.stringify(meta.setup, null, 2))}</pre></details>`,
  ];
  if (figure.claims.length > 0) {
    lines.push(
      `<p>${escapeHtml(countsSentence(figure.claims))}</p>`,
      table(
        ["Claim", "Statement", "Paper", "Ours", "Verdict", "Profile", "Details"],
        figure.claims.map((claim) => [
          `<code>${escapeHtml(claim.id)}</code>`,
          escapeHtml(claim.statement),
          escapeHtml(formatValue(claim.paperValue)),
          escapeHtml(formatValue(claim.ourValue)),
          verdictCell(claim.verdict),
          escapeHtml(claim.profile),
          escapeHtml(claim.details ?? ""),
        ]),
      ),
    );
  } else {
    lines.push("<p>This figure checks no claim.</p>");
  }
  lines.push("</section>");
  return lines.join("\n");
}

// Renders every chart as SVG; a failure shows in the page and on the console instead of an empty box.
function embedScript(ids: string[]): string {
  return `(function () {
  var ids = ${JSON.stringify(ids)};
  ids.forEach(function (id) {
    var target = document.getElementById("chart-" + id);
    var spec = JSON.parse(document.getElementById("spec-" + id).textContent);
    vegaEmbed(target, spec, { renderer: "svg", actions: false }).then(function () {
      target.setAttribute("data-rendered", "true");
    }).catch(function (error) {
      console.error("figure " + id + ": " + error);
      target.className += " chart-error";
      target.textContent = "This figure failed to render: " + error;
    });
  });
})();`;
}

function table(headers: string[], rows: string[][]): string {
  const head = `<tr>${headers.map((header) => `<th>${escapeHtml(header)}</th>`).join("")}</tr>`;
  const body = rows.map((cells) => `<tr>${cells.map((content) => (content.startsWith("<td") ? content : `<td>${content}</td>`)).join("")}</tr>`);
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${body.join("\n")}\n</tbody>\n</table>`;
}

function verdictCell(verdict: string): string {
  return `<td class="verdict-${verdict.replace(/\s+/g, "-")}">${escapeHtml(verdict)}</td>`;
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
