// The report's live panel in headless Chromium: it runs Fig. 6's experiment on load, moving a slider reruns it,
// and the curves the browser computed equal those of the same code in Node (same float64 arithmetic) to 1e-9.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { chromium, type Browser, type Page } from "playwright-core";
import { buildReport } from "@sam-repro/figures";
import { DEFAULT_LIVE_SETTINGS, runLiveExperiment, type LiveResult } from "./live-diag-net.js";

declare const document: { getElementById(id: string): { getAttribute(name: string): string | null; querySelectorAll(selector: string): { length: number } } | null };
declare const window: { samReproLive?: { result: LiveResult } };

const CHROMIUM = "/usr/bin/chromium";
const directory = mkdtempSync(path.join(os.tmpdir(), "sam-repro-live-"));
let browser: Browser;
let page: Page;
const problems: string[] = [];

/** Largest relative difference between two runs' recorded losses (they must record the same steps). */
function largestRelativeDifference(browserResult: LiveResult, nodeResult: LiveResult): number {
  expect(browserResult.points.map((point) => `${point.method}@${point.step}`)).toEqual(nodeResult.points.map((point) => `${point.method}@${point.step}`));
  let largest = 0;
  browserResult.points.forEach((point, index) => {
    const reference = nodeResult.points[index]!;
    for (const key of ["trainLoss", "testLoss"] as const) {
      const difference = Math.abs(point[key] - reference[key]) / Math.max(Math.abs(reference[key]), Number.MIN_VALUE);
      largest = Math.max(largest, difference);
    }
  });
  return largest;
}

/** Waits until the panel has drawn a run with these settings and has no other run pending; returns that run. */
async function waitForRun(expected: Partial<LiveResult["settings"]>): Promise<LiveResult> {
  await page.waitForFunction(
    (wanted) => {
      const panel = document.getElementById("live-diag-net-panel");
      const settings = window.samReproLive?.result.settings as Record<string, unknown> | undefined;
      return panel?.getAttribute("data-settled") === "true" && settings !== undefined && Object.entries(wanted).every(([key, value]) => settings[key] === value);
    },
    expected,
    { timeout: 30_000 },
  );
  return page.evaluate(() => window.samReproLive!.result);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (CI does); this test needs a browser`);
  const { htmlFile } = await buildReport(directory);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND"] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("request", (request) => {
    if (!/^(file|data|about|blob):/.test(request.url())) problems.push(`request to ${request.url()}`);
  });
  await page.goto(pathToFileURL(htmlFile).href, { waitUntil: "load" });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  rmSync(directory, { recursive: true, force: true });
});

describe("live diagonal-net panel", () => {
  test("runs Fig. 6's setting on load, the same numbers as Node", async () => {
    const first = await waitForRun(DEFAULT_LIVE_SETTINGS);
    expect(first.settings).toEqual(DEFAULT_LIVE_SETTINGS);
    expect(largestRelativeDifference(first, runLiveExperiment(DEFAULT_LIVE_SETTINGS))).toBeLessThanOrEqual(1e-9);
    // 1-SAM ends with a lower test loss than ERM, as in Fig. 6.
    expect(first.final["1-SAM"]!.testLoss).toBeLessThan(first.final.ERM!.testLoss);
    const lines = await page.evaluate(() => document.getElementById("live-diag-net-panel")!.querySelectorAll("svg .mark-line path").length);
    expect(lines).toBe(6); // 3 methods x (test, train)
  }, 60_000);

  test("moving the rho slider, then the seed slider, reruns the experiment; each agrees with Node", async () => {
    const before = await page.evaluate(() => window.samReproLive!.result);
    const rho = page.locator("#live-rho");
    await rho.focus();
    for (let press = 0; press < 3; press++) await rho.press("ArrowRight"); // 10^-1 -> 10^-0.7
    const afterRho = await waitForRun({ rho: 0.2 });
    expect(afterRho.settings.rho).toBe(0.2);
    expect(afterRho.final["1-SAM"]!.testLoss).not.toBe(before.final["1-SAM"]!.testLoss);
    expect(afterRho.final.ERM!.testLoss).toBe(before.final.ERM!.testLoss); // ERM does not use rho
    expect(largestRelativeDifference(afterRho, runLiveExperiment({ ...DEFAULT_LIVE_SETTINGS, rho: 0.2 }))).toBeLessThanOrEqual(1e-9);

    const seed = page.locator("#live-seed");
    await seed.focus();
    await seed.press("ArrowRight");
    const afterSeed = await waitForRun({ rho: 0.2, seed: 1 });
    expect(afterSeed.settings.seed).toBe(1);
    expect(afterSeed.final.ERM!.testLoss).not.toBe(afterRho.final.ERM!.testLoss);
    expect(largestRelativeDifference(afterSeed, runLiveExperiment({ ...DEFAULT_LIVE_SETTINGS, rho: 0.2, seed: 1 }))).toBeLessThanOrEqual(1e-9);

    await page.locator("#live-reset").click();
    const reset = await waitForRun({ rho: DEFAULT_LIVE_SETTINGS.rho, seed: DEFAULT_LIVE_SETTINGS.seed });
    expect(reset.points).toEqual(before.points);
    expect(await page.locator("#live-rho").inputValue()).toBe("-1");
    expect(problems).toEqual([]);
  }, 60_000);
});
