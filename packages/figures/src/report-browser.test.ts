// Opens reports/index.html in headless Chromium as a reader would: every chart renders as SVG with marks, the
// contents links and the verdict filter work, a tooltip shows formatted values on hover, the export actions are
// there, the page fits 1280 px and 400 px without horizontal scrolling, and nothing logs an error or leaves
// file://. CI installs Chromium (apt package `chromium`).
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { chromium, type Browser, type Page } from "playwright-core";
import { buildReport } from "./report.js";
import { X_TITLE, sampleFigure, temporaryReports } from "./test-figures.js";
import { writeFigure } from "./write-figure.js";

// The page callbacks below run inside Chromium; the package compiles without the DOM lib, so declare what they use.
interface PageElement {
  textContent: string | null;
  hidden: boolean;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
  getBoundingClientRect(): { top: number };
  getAttribute(name: string): string | null;
}
declare const document: {
  getElementById(id: string): PageElement | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
  documentElement: { scrollWidth: number; clientWidth: number };
};
declare const location: { hash: string };
declare const scrollY: number;

const CHROMIUM = "/usr/bin/chromium";
const LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND"];
const directory = temporaryReports();
const ids = ["browser-a", "browser-b"];
let browser: Browser;
let htmlFile = "";
const problems: string[] = [];
const outsideRequests: string[] = [];

async function openPage(width: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("request", (request) => {
    if (!/^(file|data|about|blob):/.test(request.url())) outsideRequests.push(request.url());
  });
  await page.goto(pathToFileURL(htmlFile).href, { waitUntil: "load" });
  await page.waitForFunction((count) => document.querySelectorAll('.chart[data-rendered="true"]').length === count, ids.length, { timeout: 30_000 });
  return page;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (CI does); this test needs a browser`);
  }
  await writeFigure(sampleFigure(ids[0]!, "Figure 1", ["holds"]), directory);
  await writeFigure(sampleFigure(ids[1]!, "Figure 6", ["does not hold", "holds"]), directory);
  htmlFile = (await buildReport(directory)).htmlFile;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  rmSync(directory, { recursive: true, force: true });
});

describe("index.html in a browser", () => {
  test("renders every figure offline, with export actions and a formatted tooltip on hover", async () => {
    const page = await openPage(1280);
    for (const id of ids) {
      const marks = await page.evaluate((chartId) => {
        const svg = document.getElementById(`chart-${chartId}`)?.querySelector("svg");
        return { lines: svg?.querySelectorAll(".mark-line path").length ?? 0, symbols: svg?.querySelectorAll(".mark-symbol path").length ?? 0, text: svg?.textContent ?? "" };
      }, id);
      expect(marks.lines).toBeGreaterThan(0);
      expect(marks.symbols).toBeGreaterThan(0);
      expect(marks.text).toContain(X_TITLE);
    }
    const actions = await page.locator("#chart-browser-a .vega-actions a").allTextContents();
    expect(actions).toEqual(expect.arrayContaining(["Save as SVG", "Save as PNG", "View Source"]));
    expect(actions.join(" ")).not.toMatch(/Editor/);

    // Point at the second recorded value of the first curve: the tooltip names the axes and rounds the numbers.
    const point = page.locator("#chart-browser-a svg .mark-symbol path").nth(1);
    await point.scrollIntoViewIfNeeded();
    await point.hover({ force: true });
    const tooltip = page.locator("#vg-tooltip-element.visible");
    await tooltip.waitFor({ timeout: 5000 });
    const text = (await tooltip.textContent()) ?? "";
    expect(text).toContain(X_TITLE);
    expect(text).toContain("Test error (%)");
    // The sample's ERM curve is 5 + 0.1 log10(rho): at rho = 0.1 that is 4.9 (4.8999999999999995 in float64).
    expect(text).toMatch(/Perturbation radius used for training\s*0\.1(?!\d)/);
    expect(text).toMatch(/Test error \(%\)\s*4\.9(?!\d)/);
    expect(text).not.toMatch(/\d\.\d{4,}/);

    // The export menu works offline: "Save as SVG" downloads the chart.
    await page.locator("#chart-browser-a summary").click();
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#chart-browser-a .vega-actions a", { hasText: "Save as SVG" }).click()]);
    expect(download.suggestedFilename()).toBe("browser-a.svg");
    const svg = readFileSync((await download.path())!, "utf8");
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain(X_TITLE);
    await page.close();
    expect(problems).toEqual([]);
    expect(outsideRequests).toEqual([]);
  }, 60_000);

  test("the contents link to each figure and the verdict filter hides what does not match", async () => {
    const page = await openPage(1280);
    await page.locator('nav.toc a[href="#figure-browser-b"]').click();
    expect(await page.evaluate(() => location.hash)).toBe("#figure-browser-b");
    // The page scrolled to the section (as far as the page's length allows): its heading is in view.
    const view = await page.evaluate(() => ({ top: document.getElementById("figure-browser-b")!.getBoundingClientRect().top, scrolled: scrollY }));
    expect(view.scrolled).toBeGreaterThan(0);
    expect(view.top).toBeGreaterThanOrEqual(0);
    expect(view.top).toBeLessThan(900 / 2);
    await page.waitForSelector('nav.toc a[href="#figure-browser-b"][aria-current="true"]', { timeout: 5000 });

    await page.locator('button[data-filter="does-not-hold"]').click();
    const filtered = await page.evaluate(() => ({
      a: document.getElementById("figure-browser-a")!.hidden,
      b: document.getElementById("figure-browser-b")!.hidden,
      visibleRows: Array.from(document.querySelectorAll("tr[data-verdict]")).filter((row) => !row.hidden).map((row) => row.getAttribute("data-verdict")),
      pressed: document.querySelector('button[data-filter="does-not-hold"]')!.getAttribute("aria-pressed"),
    }));
    expect(filtered).toEqual({ a: true, b: false, visibleRows: ["does-not-hold", "does-not-hold"], pressed: "true" });
    await page.locator('button[data-filter="all"]').click();
    expect(await page.evaluate(() => Array.from(document.querySelectorAll("tr[data-verdict]")).filter((row) => row.hidden).length)).toBe(0);
    await page.close();
    expect(problems).toEqual([]);
  }, 60_000);

  test.each([1280, 400])("fits %i px without horizontal scrolling (screenshot kept beside the page)", async (width) => {
    const page = await openPage(width);
    const size = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(size.scroll).toBeLessThanOrEqual(size.client);
    const screenshot = path.join(directory, `page-${width}.png`);
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);
    await page.close();
    expect(problems).toEqual([]);
    expect(outsideRequests).toEqual([]);
  }, 60_000);
});
