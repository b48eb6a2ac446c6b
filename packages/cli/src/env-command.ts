import type { Command } from "commander";
import { describeBackend, initBackend } from "@sam-repro/runtime";
import os from "node:os";

/** `sam-repro env`: the active tfjs backend, its version and threads, and which native packages exist. */
export function registerEnvCommand(program: Command): void {
  program
    .command("env")
    .description("print the active tfjs backend, its version, thread count and whether tfjs-node(-gpu) was found")
    .option("--json", "print one JSON object")
    .action(async (options: { json?: boolean }) => {
      const globals = program.opts<{ backend?: string }>();
      const info = await initBackend(globals.backend);
      const report = {
        backend: info.backend,
        nativePackage: info.nativePackage,
        tfjsVersion: info.tfjsVersion,
        threads: info.threads,
        tfjsNodeGpuFound: info.tfjsNodeGpuFound,
        tfjsNodeFound: info.tfjsNodeFound,
        node: process.version,
        cpus: os.cpus().length,
        notes: info.notes,
        warnings: info.warnings,
      };
      if (options.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
        return;
      }
      process.stdout.write(
        [
          describeBackend(info),
          `tfjs version: ${info.tfjsVersion}`,
          `threads: ${info.threads}`,
          `@tensorflow/tfjs-node-gpu found: ${info.tfjsNodeGpuFound ? "yes" : "no"}`,
          `@tensorflow/tfjs-node found: ${info.tfjsNodeFound ? "yes" : "no"}`,
          `node ${process.version}, ${os.cpus().length} CPU cores`,
          ...info.notes.map((note) => `note: ${note}`),
          "",
        ].join("\n"),
      );
    });
}
