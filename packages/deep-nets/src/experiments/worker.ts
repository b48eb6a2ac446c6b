/**
 * A worker process of `runJobs`: receives training jobs over IPC, trains them with its own wasm
 * backend (one core each), and replies with step reports and the result.
 */
import { initBackend } from "@sam-repro/runtime";
import { trainRun } from "../training/trainer.js";
import { cachedCifar, type WorkerMessage, type WorkerRequest } from "./jobs.js";

// The parent may have gone (it stops every worker when one job fails): then there is nobody to tell.
const send = (message: WorkerMessage) => {
  if (process.connected) process.send?.(message);
};
process.on("disconnect", () => process.exit(0));

process.on("message", async (request: WorkerRequest) => {
  if (request.type !== "train") return;
  try {
    await initBackend();
    let lastReport = 0;
    const result = await trainRun(request.config, {
      directory: request.directory,
      data: cachedCifar(request.config.dataset),
      progress: false,
      onStep: (info) => {
        // Throttle IPC: a few reports a second are enough for the parent's bar.
        const now = Date.now();
        if (now - lastReport > 250 || info.step === info.totalSteps) {
          lastReport = now;
          send({ type: "step", info });
        }
      },
    });
    send({ type: "done", result });
  } catch (error) {
    send({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});
