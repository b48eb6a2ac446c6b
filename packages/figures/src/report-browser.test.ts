// Opens reports/index.html in headless Chromium: every chart must render as SVG with marks, with no
// console error and no request leaving file://. CI installs Chromium (apt package `chromium`).
import { existsSync, rmSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, test } from "@jest/globals";
import { chromium } from "playwright-core";
import { buildReport } from "./report.js";
import { sampleFigure, temporaryReports } from "./test-figures.js";
import { writeFigure } from "./write-figure.js";

// The page callbacks below run inside Chromium; the package compiles without the DOM lib, so declare what they use.
interface PageElement {
  textContent: string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): { length: number };
}
declare const document: { getElementById(id: string): PageElement | null; querySelectorAll(selector: string): { length: number } };

const CHROMIUM = "/usr/bin/chromium";
const directory = temporaryReports();
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("index.html in a browser", () => {
  test("renders every figure offline without console errors", async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (CI does); this test needs a browser`);
    }
    const ids = ["browser-a", "browser-b"];
    await writeFigure(sampleFigure(ids[0]!, "Figure 1", ["holds"]), directory);
    await writeFigure(sampleFigure(ids[1]!, "Figure 6", ["does not hold"]), directory);
    const { htmlFile } = await buildReport(directory);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND"],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      const outsideRequests: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(message.text());
      });
      page.on("pageerror", (error) => problems.push(error.message));
      page.on("request", (request) => {
        if (!/^(file|data|about):/.test(request.url())) outsideRequests.push(request.url());
      });
      await page.goto(pathToFileURL(htmlFile).href, { waitUntil: "load" });
      await page.waitForFunction((count) => document.querySelectorAll('.chart[data-rendered="true"]').length === count, ids.length, { timeout: 20_000 }).catch(() => undefined);

      for (const id of ids) {
        const marks = await page.evaluate(
          (chartId) => {
            const chart = document.getElementById(`chart-${chartId}`);
            const svg = chart?.querySelector("svg");
            return {
              svg: Boolean(svg),
              lines: svg?.querySelectorAll(".mark-line path").length ?? 0,
              symbols: svg?.querySelectorAll(".mark-symbol path").length ?? 0,
              text: svg?.textContent ?? "",
            };
          },
          id,
        );
        expect(marks.svg).toBe(true);
        expect(marks.lines).toBeGreaterThan(0);
        expect(marks.symbols).toBeGreaterThan(0);
        expect(marks.text).toContain("Perturbation radius used for training");
      }
      expect(problems).toEqual([]);
      expect(outsideRequests).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
