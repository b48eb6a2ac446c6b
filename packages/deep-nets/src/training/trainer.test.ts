import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { STOP_SIGNALS, StopRequestedError, installStopHandlers, resetStopRequest } from "@sam-repro/runner";
import { initBackend } from "@sam-repro/runtime";
import { syntheticCifar } from "../data/test-files.js";
import { trainConfigSchema, type TrainConfigInput } from "./config.js";
import { CHECKPOINT_FILE, METRICS_FILE, RESULT_FILE, readWeightsFile, type RunCheckpointState } from "./run-store.js";
import { trainRun } from "./trainer.js";

let temporary: string;
const data = syntheticCifar(200, 64, 10, 1);

// The CLI's stop handlers, installed in this process so that a test can deliver a "signal" with process.emit; removed after.
const listenersBefore = new Map(STOP_SIGNALS.map((signal) => [signal, process.listeners(signal)]));
beforeAll(async () => {
  await initBackend("wasm");
  temporary = mkdtempSync(path.join(os.tmpdir(), "deep-nets-trainer-"));
  process.env.SAM_REPRO_QUIET = "1";
  installStopHandlers(() => {});
});
afterAll(() => {
  for (const signal of STOP_SIGNALS) for (const listener of process.listeners(signal)) if (!listenersBefore.get(signal)!.includes(listener)) process.off(signal, listener);
  rmSync(temporary, { recursive: true, force: true });
});

function smokeConfig(overrides: Partial<TrainConfigInput> = {}) {
  return trainConfigSchema.parse({
    model: "resnet_tiny",
    width: 4,
    trainSize: 64,
    validationSize: 16,
    testSize: 32,
    batchSize: 16,
    epochs: 3,
    evalEvery: 1,
    evalTrainSize: 32,
    ...overrides,
  });
}

describe("training runs", () => {
  test("killing a run after an epoch and starting it again ends with the same numbers and weights", async () => {
    // m-SAM with sub-batches, EMA and augmentation exercise every piece of resumable state.
    const config = smokeConfig({ epochs: 2, trainSize: 48, sam: { variant: "sam", rho: 0.05, m: 8 }, emaTau: 0.9 });
    const straight = await trainRun(config, { directory: path.join(temporary, "straight"), data });
    const interruptedDirectory = path.join(temporary, "interrupted");
    const partial = await trainRun(config, { directory: interruptedDirectory, data, stopAfterEpochs: 1 });
    expect(partial.epochsCompleted).toBe(1);
    const resumed = await trainRun(config, { directory: interruptedDirectory, data });
    expect(resumed.status).toBe("completed");
    const numbers = (r: typeof straight) => r.metrics.map(({ elapsedSeconds: _e, imagesPerSecond: _i, ...rest }) => rest);
    expect(numbers(resumed)).toEqual(numbers(straight));
    const a = readWeightsFile(path.join(temporary, "straight", straight.weightsFile));
    const b = readWeightsFile(path.join(interruptedDirectory, resumed.weightsFile));
    expect(b).toEqual(a);
    expect(readFileSync(path.join(interruptedDirectory, METRICS_FILE), "utf8").trim().split("\n")).toHaveLength(2);
  });

  test("n-SAM (previous batch) resumes exactly too: the previous batch is part of the checkpoint", async () => {
    const config = smokeConfig({ epochs: 2, trainSize: 32, sam: { variant: "sam", rho: 0.1, ascentBatch: "previous" } });
    const straight = await trainRun(config, { directory: path.join(temporary, "nsam-straight"), data });
    await trainRun(config, { directory: path.join(temporary, "nsam-resumed"), data, stopAfterEpochs: 1 });
    const resumed = await trainRun(config, { directory: path.join(temporary, "nsam-resumed"), data });
    expect(resumed.metrics.map((m) => m.testLoss)).toEqual(straight.metrics.map((m) => m.testLoss));
  });

  test("a diverging run is recorded as diverged, not thrown", async () => {
    const config = smokeConfig({ learningRate: 1e8, schedule: "constant", epochs: 2 });
    const result = await trainRun(config, { directory: path.join(temporary, "diverged"), data });
    expect(result.status).toBe("diverged");
    expect(result.divergedAt).not.toBeNull();
    expect(result.final).toBeNull();
    const lines = readFileSync(path.join(temporary, "diverged", METRICS_FILE), "utf8").trim().split("\n");
    expect(JSON.parse(lines.at(-1)!).trainLoss).toBe("NaN");
  });

  test("a finished run is not trained again; label noise gives a noisy-train error", async () => {
    const config = smokeConfig({ epochs: 1, labelNoise: { fraction: 0.5, type: "symmetric" } });
    const first = await trainRun(config, { directory: path.join(temporary, "noisy"), data });
    expect(first.final?.noisyTrainError).toBeGreaterThan(0);
    const again = await trainRun(config, { directory: path.join(temporary, "noisy"), data });
    expect(again.wallSeconds).toBe(first.wallSeconds);
  });
});

describe("stop signals", () => {
  const numbers = (r: { metrics: { elapsedSeconds: number; imagesPerSecond: number }[] }) => r.metrics.map(({ elapsedSeconds: _e, imagesPerSecond: _i, ...rest }) => rest);
  // SIGTERM at `step` (4 steps per epoch): the run stops there with a checkpoint, and the rerun ends as the straight run.
  async function stopAndResume(name: string, step: number) {
    const config = smokeConfig({ epochs: 3, sam: { variant: "sam", rho: 0.05 }, emaTau: 0.5 });
    const straight = await trainRun(config, { directory: path.join(temporary, `${name}-straight`), data });
    const directory = path.join(temporary, name);
    const stopping = trainRun(config, { directory, data, onStep: (info) => info.step === step && process.emit("SIGTERM") });
    await expect(stopping).rejects.toThrow(StopRequestedError);
    resetStopRequest();
    expect(existsSync(path.join(directory, RESULT_FILE))).toBe(false);
    const stopped = JSON.parse(readFileSync(path.join(directory, CHECKPOINT_FILE), "utf8")).state as RunCheckpointState;
    expect(stopped.steps).toBe(step);
    const resumed = await trainRun(config, { directory, data });
    expect(numbers(resumed)).toEqual(numbers(straight));
    expect(readWeightsFile(path.join(directory, resumed.weightsFile))).toEqual(readWeightsFile(path.join(temporary, `${name}-straight`, straight.weightsFile)));
    expect(readdirSync(directory).filter((file) => file.endsWith(".bin"))).toEqual([resumed.weightsFile]);
    return stopped;
  }

  test("inside an epoch: a checkpoint of the partial epoch at that step, resumed to the same numbers and weights", async () => {
    const stopped = await stopAndResume("signal-mid-epoch", 6);
    expect(stopped.epochsCompleted).toBe(1);
    expect(stopped.partialEpoch?.batchesDone).toBe(2);
    expect(stopped.weightsFile).toBe("weights-0001-00002.bin");
  });

  test("at an epoch's last step: the epoch's checkpoint, no partial epoch, resumed to the same numbers and weights", async () => {
    const stopped = await stopAndResume("signal-epoch-end", 4);
    expect(stopped.epochsCompleted).toBe(1);
    expect(stopped.partialEpoch).toBeUndefined();
    expect(stopped.weightsFile).toBe("weights-0001.bin");
  });
});
