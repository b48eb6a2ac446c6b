// The library in a browser: esbuild bundles a small SAM training loop (this package + tfjs-core + the cpu
// backend) for the browser platform, which fails on any Node built-in, and headless Chromium runs it; the loss
// must go down without page errors or leaked tensors. CI installs Chromium (apt package `chromium`).
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveBrowser = existsSync(CHROMIUM);
// CI sets SAM_REPRO_REQUIRE_BROWSER=1: there a missing browser is a failure, not a skip.
const requireBrowser = process.env.SAM_REPRO_REQUIRE_BROWSER === "1";
const describeInBrowser = haveBrowser || requireBrowser ? describe : describe.skip;
if (!haveBrowser) console.warn(`browser.test.ts ${requireBrowser ? "fails" : "skipped"}: ${CHROMIUM} not found (apt-get install chromium, or set CHROMIUM_PATH)`);

// Runs in the page. `globalThis.samResult` is what the test reads back.
const trainingLoop = `
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import "@tensorflow/tfjs-backend-cpu";
import { SamOptimizer } from "@sam-repro/sam";

globalThis.samResult = (async () => {
  await tf.setBackend("cpu");
  const w = tf.variable(tf.zeros([4, 2]));
  const b = tf.variable(tf.zeros([2]));
  const x = tf.randomNormal([32, 4], 0, 1, "float32", 1);
  const y = tf.tidy(() => tf.oneHot(tf.cast(tf.greater(tf.sum(tf.mul(x, tf.tensor1d([1, -2, 0.5, 1])), 1), 0), "int32"), 2));
  const lossFn = ({ x, y }) => tf.tidy(() => tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(x, w), b)));
  const sam = new SamOptimizer(tf.train.momentum(0.1, 0.9), { variant: "sam", rho: 0.05, subBatchSize: 8 }, [w, b]);
  const losses = [sam.step(lossFn, { x, y }).loss]; // the first step creates the momentum slots
  const tensorsAfterFirstStep = tf.memory().numTensors;
  for (let step = 1; step < 30; step++) losses.push(sam.step(lossFn, { x, y }).loss);
  const leaked = tf.memory().numTensors - tensorsAfterFirstStep;
  sam.dispose();
  return { backend: tf.getBackend(), losses, leaked, userAgent: navigator.userAgent };
})();
`;

describeInBrowser("@sam-repro/sam in headless Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  test("an esbuild browser bundle of a SAM training loop lowers the loss", async () => {
    const bundle = await build({
      stdin: { contents: trainingLoop, resolveDir: import.meta.dirname, sourcefile: "training-loop.js", loader: "js" },
      bundle: true,
      write: false,
      platform: "browser",
      format: "iife",
      target: "es2020",
      // The workspace's TypeScript sources; a user's bundler takes the package's dist/ (the "default" condition).
      conditions: ["@sam-repro/source"],
      logLevel: "silent",
    });
    expect(bundle.errors).toEqual([]);
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text());
    });
    await page.setContent("<!doctype html><title>sam</title>");
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
    const result = await page.evaluate(() => (globalThis as unknown as { samResult: Promise<{ backend: string; losses: number[]; leaked: number; userAgent: string }> }).samResult);
    await page.close();
    expect(pageErrors).toEqual([]);
    expect(result.userAgent).toMatch(/Chrome/);
    expect(result.backend).toBe("cpu");
    expect(result.losses).toHaveLength(30);
    expect(result.losses.at(-1)!).toBeLessThan(0.5 * result.losses[0]!);
    expect(result.leaked).toBe(0);
  }, 90_000);
});
