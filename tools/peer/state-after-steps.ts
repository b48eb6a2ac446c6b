/**
 * Our trainer's weights and BatchNorm running statistics after its first step(s), for a tensor-by-tensor comparison with
 * the reference (train.py --compare-state): the one part of training that the step losses cannot see is the running
 * statistics (they only act in evaluation), and m-SAM updates them 2 b/m times per step ("both-passes").
 *   node --conditions=@sam-repro/source --import tsx tools/peer/state-after-steps.ts --export DIR --method M --out STATE_DIR
 * Runs trainRun from the export's seed and stops it as a signal would after step 1 (its mid-epoch checkpoint holds
 * the state); writes STATE_DIR/<torch name>.f32 in PyTorch's layout and STATE_DIR/state.json (the step count).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { InputError, StopRequestedError, installStopHandlers } from "@sam-repro/runner";
import { initBackend } from "@sam-repro/runtime";
import { loadCifar } from "../../packages/deep-nets/src/data/cifar-files.js";
import { CHECKPOINT_FILE, readWeightsFile } from "../../packages/deep-nets/src/training/run-store.js";
import { trainRun } from "../../packages/deep-nets/src/training/trainer.js";
import { describeNetwork } from "../../packages/deep-nets/src/models/architecture.js";
import { modelConfigOf } from "../../packages/deep-nets/src/training/trainer.js";
import { permuteAxes, tensorMappings } from "./layout.js";
import { parityConfig, parseMethod } from "./regime.js";

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { export: { type: "string" }, method: { type: "string" }, out: { type: "string" } } });
  if (!values.export || !values.method || !values.out) throw new InputError("--export, --method, --out: all required");
  const manifest = JSON.parse(readFileSync(path.join(values.export, "manifest.json"), "utf8")) as { seed: number };
  const method = parseMethod(values.method, "--method");
  const config = parityConfig(method, manifest.seed);
  await initBackend();
  installStopHandlers(() => {});
  const scratch = `${path.resolve(values.out)}.run`;
  rmSync(scratch, { recursive: true, force: true });
  try {
    await trainRun(config, { directory: scratch, data: loadCifar("cifar10"), progress: false, // The stop handler runs at once (emit, not kill: a real signal would arrive a step later); the checkpoint follows this step.
      onStep: (info) => info.step === 1 && process.emit("SIGINT") });
    throw new Error("trainRun finished without stopping");
  } catch (error) {
    if (!(error instanceof StopRequestedError)) throw error;
  }
  const checkpoint = JSON.parse(readFileSync(path.join(scratch, CHECKPOINT_FILE), "utf8")) as { state: { steps: number; weightsFile: string } };
  const weights = readWeightsFile(path.join(scratch, checkpoint.state.weightsFile));
  const spec = describeNetwork(modelConfigOf(config, 10));
  const mappings = tensorMappings(spec.parameters, spec.statistics);
  const arrays = [...weights.parameters, ...weights.statistics];
  const staging = `${path.resolve(values.out)}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  mappings.forEach((mapping, i) => {
    const values32 = permuteAxes(arrays[i]!, mapping.shape, mapping.permutation);
    writeFileSync(path.join(staging, `${mapping.torchName}.f32`), Buffer.from(values32.buffer));
  });
  writeFileSync(path.join(staging, "state.json"), JSON.stringify({ method, seed: manifest.seed, steps: checkpoint.state.steps }));
  rmSync(path.resolve(values.out), { recursive: true, force: true });
  renameSync(staging, path.resolve(values.out));
  rmSync(scratch, { recursive: true, force: true });
  process.stdout.write(`${method} seed ${manifest.seed}: state after ${checkpoint.state.steps} step(s) in ${values.out}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  if (error instanceof InputError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
});
