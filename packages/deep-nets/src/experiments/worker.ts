/**
 * A trainer process (of `runJobs`' local pool and of sweep workers): receives training jobs over IPC, trains them with its own wasm
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
// Training blocks the event loop for a whole epoch, so "disconnect" arrives late when the parent was
// killed (kill -9 of a sweep worker): check the parent at every step instead, so that an orphan stops
// before another worker takes its run over.
const parent = process.ppid;

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
        if (process.ppid !== parent) process.exit(1);
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
