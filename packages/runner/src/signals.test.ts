import { describe, expect, test } from "@jest/globals";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { signalExitCode } from "./signals.js";

const signalsModule = pathToFileURL(path.join(import.meta.dirname, "signals.ts")).href;
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** Runs `body` in a real Node process with the stop handlers installed; sends `signal` once it prints "ready". */
async function runWithSignal(body: string, signal: NodeJS.Signals) {
  const script = path.join(mkdtempSync(path.join(os.tmpdir(), "sam-repro-signals-")), "child.mjs");
  writeFileSync(script, `const s = await import(${JSON.stringify(signalsModule)});\ns.installStopHandlers();\n${body}\n`);
  const child = spawn(process.execPath, ["--import", tsx, script], { env: { ...process.env, NODE_OPTIONS: "" } });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes("ready") && !child.killed) child.kill(signal);
  });
  const [code] = (await new Promise((resolve) => child.on("exit", (...args) => resolve(args)))) as [number | null];
  return { code, stdout };
}

describe("stop signals", () => {
  test("exit codes are 128 + the signal number", () => {
    expect(signalExitCode("SIGINT")).toBe(130);
    expect(signalExitCode("SIGTERM")).toBe(143);
    expect(signalExitCode("SIGHUP")).toBe(129);
  });

  test("with no stoppable work the first signal exits at once, after other listeners ran", async () => {
    const { code, stdout } = await runWithSignal(
      `process.on("SIGHUP", () => console.log("pool stopped"));
console.log("ready");
setInterval(() => {}, 1000);`,
      "SIGHUP",
    );
    expect(code).toBe(129);
    expect(stdout).toContain("pool stopped");
  });

  test("stoppable work sees the request at its next safe point, writes its checkpoint and exits", async () => {
    const { code, stdout } = await runWithSignal(
      `const end = s.beginStoppableWork();
console.log("ready");
for (let step = 0; ; step++) {
  const until = Date.now() + 20; while (Date.now() < until); // a synchronous "training step"
  await s.yieldToSignals();
  if (s.stopRequested()) { console.log("checkpoint at step " + step + " for " + s.stopRequested()); end(); process.exit(s.signalExitCode(s.stopRequested())); }
}`,
      "SIGTERM",
    );
    expect(code).toBe(143);
    expect(stdout).toMatch(/checkpoint at step \d+ for SIGTERM/);
  });
});
