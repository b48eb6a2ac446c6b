import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { buildReport } from "./report.js";
import { paperFigureNumber } from "./report-data.js";
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

  test("figures come in paper-figure order with their PNG, setup, scaling and wall time; timings are listed", () => {
    const one = markdown.indexOf("## Figure 1:");
    const nine = markdown.indexOf("## Figure 9:");
    expect(one).toBeGreaterThan(0);
    expect(nine).toBeGreaterThan(one);
    expect(markdown).toContain("![Sample sample-one](sample-one/figure.png)");
    expect(markdown).toContain('"radii": [');
    expect(markdown).toContain("Everything: a synthetic sample.");
    expect(markdown).toContain("wall time 1.5 s");
    expect(markdown).toMatch(/\| implicit-bias \| cpu \| 2 min 5 s \|/);
  });

  test("paper figure numbers are read from the usual spellings", () => {
    expect(paperFigureNumber("Figure 12")).toBe(12);
    expect(paperFigureNumber("Fig. 6 (left)")).toBe(6);
    expect(paperFigureNumber("notebook D4")).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("index.html", () => {
  test("is self-contained: no external scripts, styles or links", () => {
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link[^>]*\shref=/i);
    expect(html).not.toMatch(/\s(src|href)=["']?(https?:)?\/\//i);
    expect(html).toContain("Content-Security-Policy");
    expect(html.match(/<script data-library=/g)).toHaveLength(3);
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
