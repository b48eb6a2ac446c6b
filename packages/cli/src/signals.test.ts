import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomImageSet, writeCifar100Directory } from "../../deep-nets/src/data/test-files.js";

// Real `sam-repro train` processes (the bin, as a user runs it) stopped by real signals, and two of them
// racing for one run directory. CIFAR-100-format files are generated (no real data needed); the model is
// tiny, so each run trains for a few seconds.
const bin = path.join(import.meta.dirname, "..", "bin", "sam-repro.js");
let scratch: string;
let dataDirectory: string;

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), "sam-repro-signals-"));
  dataDirectory = path.join(scratch, "data");
  writeCifar100Directory(path.join(dataDirectory, "cifar-100-binary"), randomImageSet(2000, 100, 1));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const TRAIN = ["--backend", "wasm", "train", "--dataset", "cifar100", "--model", "resnet_tiny", "--width", "4", "--train-size", "128", "--test-size", "32"];
const trainArgs = (runDir: string) => [...TRAIN, "--batch-size", "16", "--epochs", "3", "--eval-every", "1", "--seed", "3", "--data-dir", dataDirectory, "--run-dir", runDir];

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: string[]): { child: ChildProcessWithoutNullStreams; done: Promise<Finished> } {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NODE_OPTIONS: "", SAM_REPRO_QUIET: "1" } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Finished>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const checkpointState = (runDir: string) => JSON.parse(readFileSync(path.join(runDir, "checkpoint.json"), "utf8")).state;
const withoutTimes = (metrics: Record<string, unknown>[]) => metrics.map(({ elapsedSeconds: _e, imagesPerSecond: _i, ...rest }) => rest);

describe("sam-repro train under signals and a second writer", () => {
  test(
    "SIGTERM checkpoints and exits 143; a second writer of the run directory is refused; the rerun resumes to the uninterrupted result",
    async () => {
      const stopped = path.join(scratch, "stopped");
      const first = start(trainArgs(stopped));
      await waitFor(() => existsSync(path.join(stopped, "checkpoint.json")), "the first epoch's checkpoint");

      // Two real processes, one run directory: the second stops at once with the holder named, exit 2.
      // The first is paused meanwhile (SIGSTOP: alive, holding its lock) so it cannot finish first.
      first.child.kill("SIGSTOP");
      const second = await start(trainArgs(stopped)).done;
      expect(second.code).toBe(2);
      expect(second.stderr).toContain(`in use by pid ${first.child.pid}`);
      expect(second.stderr.trim().split("\n").at(-1)).toMatch(/^error: .*in use by pid/);

      first.child.kill("SIGCONT");
      first.child.kill("SIGTERM");
      const interrupted = await first.done;
      expect(interrupted.code).toBe(143);
      expect(interrupted.stderr).toMatch(/stopped by SIGTERM after step \d+; checkpoint written/);
      expect(existsSync(path.join(stopped, "result.json"))).toBe(false);
      const state = checkpointState(stopped);
      expect(state.steps).toBeGreaterThanOrEqual(8); // at least the first epoch (8 steps of 16 of 128 images)
      expect(existsSync(path.join(stopped, state.weightsFile))).toBe(true);
      expect(existsSync(path.join(scratch, ".stopped.lock"))).toBe(false); // released on exit

      const resumed = await start(trainArgs(stopped)).done;
      expect(resumed.code).toBe(0);
      const reference = await start(trainArgs(path.join(scratch, "reference"))).done;
      expect(reference.code).toBe(0);
      const a = JSON.parse(readFileSync(path.join(stopped, "result.json"), "utf8"));
      const b = JSON.parse(readFileSync(path.join(scratch, "reference", "result.json"), "utf8"));
      expect(a.epochsCompleted).toBe(3);
      expect(withoutTimes(a.metrics)).toEqual(withoutTimes(b.metrics));
      const weightsA = readFileSync(path.join(stopped, a.weightsFile));
      const weightsB = readFileSync(path.join(scratch, "reference", b.weightsFile));
      expect(weightsA.equals(weightsB)).toBe(true);

      // Another seed in the same run directory does not replace the finished run.
      const otherSeed = await start(trainArgs(stopped).map((arg, i, all) => (all[i - 1] === "--seed" ? "4" : arg))).done;
      expect(otherSeed.code).toBe(2);
      expect(otherSeed.stderr).toMatch(/holds a run of another config or backend .* choose another --run-dir, or delete it to start over/);
      expect(readFileSync(path.join(stopped, "result.json"), "utf8")).toBe(JSON.stringify(a, null, 2) + "\n");
    },
    300_000,
  );

  test(
    "a second stop signal exits at once (128 + its number), without a checkpoint",
    async () => {
      const runDir = path.join(scratch, "twice");
      const run = start(trainArgs(runDir));
      await waitFor(() => existsSync(path.join(runDir, "config.json")), "training to start");
      // Both signals must arrive before the first one's checkpoint is written, which on a quiet machine takes
      // milliseconds: deliver them while the process is stopped. The same signal is not queued twice while
      // pending, so the second is SIGTERM; the order in which Node runs the two handlers is not fixed.
      run.child.kill("SIGSTOP");
      run.child.kill("SIGINT");
      run.child.kill("SIGTERM");
      run.child.kill("SIGCONT");
      const finished = await run.done;
      const first = /(SIGINT|SIGTERM) received: stopping at the next safe point/.exec(finished.stderr)?.[1];
      const second = /(SIGINT|SIGTERM) again: exiting now without a checkpoint/.exec(finished.stderr)?.[1];
      expect([first, second].sort()).toEqual(["SIGINT", "SIGTERM"]);
      expect(finished.code).toBe(second === "SIGINT" ? 130 : 143);
      expect(finished.stderr).not.toContain("checkpoint written");
      expect(existsSync(path.join(runDir, "result.json"))).toBe(false);
      expect(existsSync(path.join(scratch, ".twice.lock"))).toBe(false);
    },
    120_000,
  );
});
