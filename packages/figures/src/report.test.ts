import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { buildReport } from "./report.js";
import { paperFigureNumber, readFigures } from "./report-data.js";
import { renderMarkdown, type ReportContext } from "./report-markdown.js";
import { FINDINGS_HEADING, figureView } from "./report-model.js";
import { sampleFigure, temporaryReports } from "./test-figures.js";
import type { FigureOutput } from "./types.js";
import { writeFigure } from "./write-figure.js";

const directory = temporaryReports();
// Written out of paper order on purpose: the report must sort them.
const figures: FigureOutput[] = [
  sampleFigure("sample-nine", "Figure 9", ["holds", "not run"], "cpu"),
  sampleFigure("sample-one", "Figure 1", ["holds", "does not hold", "does not hold"]),
];
let markdown = "";
let html = "";

beforeAll(async () => {
  for (const figure of figures) await writeFigure(figure, directory);
  writeFileSync(path.join(directory, "timings.json"), JSON.stringify({ "implicit-bias": { seconds: 125, profile: "cpu", date: "2026-01-01T00:00:00.000Z" } }));
  // A section that is not a figure (nx run peer:parity writes reports/peer-parity/README.md, no meta.json).
  mkdirSync(path.join(directory, "peer-parity"));
  writeFileSync(path.join(directory, "peer-parity", "README.md"), "## Trainer parity with a PyTorch reference\n\nsample parity text\n");
  const summary = await buildReport(directory);
  expect(summary).toMatchObject({ figures: 2, claims: 5, counts: { holds: 2, "does not hold": 2, "not run": 1 } });
  markdown = readFileSync(summary.markdownFile, "utf8");
  html = readFileSync(summary.htmlFile, "utf8");
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("REPORT.md", () => {
  test("summary counts match the claims", () => {
    expect(markdown).toContain("5 claims: 2 hold, 2 do not hold, 1 not run.");
    expect(markdown).toContain("3 claims: 1 hold, 2 do not hold, 0 not run.");
    expect(markdown).toContain("2 claims: 1 hold, 0 do not hold, 1 not run.");
    expect(markdown).toContain("npm ci && npm run reproduce");
  });

  test("every claim appears in the summary and in its figure's table, with its verdict", () => {
    for (const figure of figures) {
      for (const claim of figure.claims) {
        const rows = markdown.split("\n").filter((line) => line.startsWith("|") && line.includes(claim.statement));
        expect(rows).toHaveLength(2);
        for (const row of rows) expect(row).toContain(claim.verdict);
        expect(markdown).toContain(`| \`${claim.id}\` |`);
      }
    }
  });

  test("configs without a result in the reports directory are listed as not yet run, with the command that runs them", () => {
    // The temporary reports hold only the two sample figures: every real config of experiments/ is "not yet run" there.
    const section = markdown.slice(markdown.indexOf("## Not yet run at this profile"), markdown.indexOf("## Summary"));
    expect(section).toContain("`fig1-perturbations`");
    expect(section).toContain("npx sam-repro reproduce deep-nets --only fig1-perturbations");
    expect(section).not.toContain("sample-one");
    expect(html).toContain("<h2>Not yet run at this profile</h2>");
  });

  test("reports/peer-parity/README.md, when present, is a section after the figures (and not counted as a figure)", () => {
    const parity = markdown.indexOf("## Trainer parity with a PyTorch reference");
    expect(parity).toBeGreaterThan(markdown.indexOf("## Figure 9:"));
    expect(markdown).toContain("sample parity text");
  });

  test("figures come in paper-figure order with their PNG, setup, scaling and wall time; timings are listed", () => {
    const one = markdown.indexOf("## Figure 1:");
    const nine = markdown.indexOf("## Figure 9:");
    expect(one).toBeGreaterThan(0);
    expect(nine).toBeGreaterThan(one);
    expect(markdown).toContain("![Figure 1: Sample sample-one](sample-one/figure.png)");
    expect(markdown).toContain('"radii": [');
    expect(markdown).toContain("Everything: a synthetic sample.");
    expect(markdown).toContain("wall time 1.5 s");
    expect(markdown).toMatch(/\| implicit-bias \| cpu \| 2 min 5 s \|/);
  });

  test("paper figure numbers are read from labels that are a figure number, not from labels that mention one", () => {
    expect(paperFigureNumber("Figure 12")).toBe(12);
    expect(paperFigureNumber("Fig. 6 (left)")).toBe(6);
    expect(paperFigureNumber("notebook D4")).toBe(Number.POSITIVE_INFINITY);
    expect(paperFigureNumber("candidate for Fig. 7/8 (analogue of Fig. 9)")).toBe(Number.POSITIVE_INFINITY);
  });

  test("links the paper and the official code, and lists the figures with their verdict counts", () => {
    expect(markdown).toContain("(https://arxiv.org/abs/2206.06232)");
    expect(markdown).toContain("(https://github.com/tml-epfl/understanding-sam)");
    expect(markdown).toContain("| [Figure 1: Sample sample-one](#figure-sample-one) | 1 | 2 | 0 | 0 |");
    expect(markdown).toContain("| [Figure 9: Sample sample-nine](#figure-sample-nine) | 1 | 0 | 0 | 1 |");
    expect(markdown.indexOf("## Contents")).toBeLessThan(markdown.indexOf("## Summary"));
  });
});

describe("REPORT.md and index.html say the same things", () => {
  test("every heading, provenance line and claim value of the Markdown is on the page", () => {
    const pageText = html.replace(/&quot;/g, '"').replace(/&gt;/g, ">").replace(/&lt;/g, "<").replace(/&amp;/g, "&");
    const headings = markdown.split("\n").filter((line) => line.startsWith("## Figure")).map((line) => line.slice(3));
    expect(headings).toHaveLength(2);
    for (const heading of headings) expect(pageText).toContain(`<h2>${heading}</h2>`);
    for (const line of markdown.split("\n").filter((text) => text.startsWith("profile "))) expect(pageText).toContain(line);
    const claimRows = markdown.split("\n").filter((line) => /^\| `[a-z0-9-]+` \|/.test(line));
    expect(claimRows).toHaveLength(5);
    for (const row of claimRows) {
      const cells = row.split(" | ").slice(1, 4);
      for (const cell of cells) expect(pageText).toContain(cell);
    }
  });
});

describe("index.html", () => {
  test("is self-contained: no external scripts, styles or images; only the paper and code are linked", () => {
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link[^>]*\shref=/i);
    const markup = html.replace(/<script[\s\S]*?<\/script>/g, "");
    expect(markup).not.toMatch(/\ssrc=/i);
    const external = [...markup.matchAll(/\shref="(https?:[^"]*)"/g)].map((match) => match[1]);
    expect([...new Set(external)].sort()).toEqual(["https://arxiv.org/abs/2206.06232", "https://github.com/tml-epfl/understanding-sam"]);
    expect(html.match(/<script data-library=/g)).toHaveLength(3);
  });

  test("the Content-Security-Policy allows exactly the inline scripts, by hash, and no eval", () => {
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)![1]!;
    expect(policy).toMatch(/default-src 'none'/);
    expect(policy).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
    const allowed = new Set([...policy.matchAll(/'sha256-([^']+)'/g)].map((match) => match[1]));
    const scripts = [...html.matchAll(/<script(?![^>]*type="application\/json")[^>]*>([\s\S]*?)<\/script>/g)].map((match) => match[1]!);
    expect(scripts.length).toBe(5); // vega, vega-lite, vega-embed, the live panel, the page
    for (const code of scripts) expect(allowed.has(createHash("sha256").update(code, "utf8").digest("base64"))).toBe(true);
    expect(allowed.size).toBe(scripts.length);
  });

  test("the contents filter by verdict: figures and claim rows carry their verdicts", () => {
    for (const verdict of ["all", "holds", "does-not-hold", "inconclusive", "not-run"]) expect(html).toContain(`data-filter="${verdict}"`);
    expect(html).toContain('<section id="figure-sample-one" data-verdicts="holds does-not-hold">');
    expect(html.match(/<tr data-verdict="does-not-hold">/g)).toHaveLength(4);
    expect(html).toContain('id="live-diag-net-panel"');
  });

  test("holds each figure's spec, chart div and claims table", () => {
    for (const figure of figures) {
      expect(html).toContain(`id="chart-${figure.id}"`);
      const specJson = new RegExp(`<script type="application/json" id="spec-${figure.id}">([^<]*)</script>`).exec(html);
      expect(JSON.parse(specJson![1]!).data.values.length).toBeGreaterThan(0);
      for (const claim of figure.claims) expect(html).toContain(`<code>${claim.id}</code>`);
    }
  });
});

describe("findings (what we read in the results, from the config, per profile)", () => {
  const withFindings = temporaryReports("sam-repro-findings-");
  const experiments = temporaryReports("sam-repro-findings-experiments-");
  afterAll(() => {
    rmSync(withFindings, { recursive: true, force: true });
    rmSync(experiments, { recursive: true, force: true });
  });

  test("the config's findings for the profile that ran are printed under the claims, labelled; other profiles' are not", async () => {
    await writeFigure(sampleFigure("sample-nine", "Figure 9", ["does not hold"], "cpu"), withFindings);
    writeFileSync(
      path.join(experiments, "sample-nine.json"),
      JSON.stringify({ id: "sample-nine", findings: { cpu: ["The GroupNorm runs underfit: train error 49%."], paper: ["only at the paper profile"] } }),
    );
    const [entry] = readFigures(withFindings, experiments);
    expect(entry!.findings).toEqual(["The GroupNorm runs underfit: train error 49%."]);
    const view = figureView(entry!);
    const context = { commit: "abc1234", date: "2026-01-01T00:00:00.000Z", machine: "test machine" } as unknown as ReportContext;
    const text = renderMarkdown([view], {}, context);
    const section = text.slice(text.indexOf("## Figure 9:"));
    expect(section).toContain(`${FINDINGS_HEADING}\n\n- The GroupNorm runs underfit: train error 49%.`);
    expect(section.indexOf(FINDINGS_HEADING)).toBeGreaterThan(section.indexOf("| Claim | Statement |"));
    expect(text).not.toContain("only at the paper profile");
    // Without findings in the config there is no heading.
    const [bare] = readFigures(withFindings);
    expect(renderMarkdown([figureView(bare!)], {}, context)).not.toContain(FINDINGS_HEADING);
  });
});
