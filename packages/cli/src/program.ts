import { Command, Option } from "commander";
import { BACKEND_CHOICES, BACKEND_ENV_VAR } from "@sam-repro/runtime";
import { PROFILES, PROFILE_ENV_VAR } from "@sam-repro/runner";
import { commandModules } from "./commands.js";
import { registerEnvCommand } from "./env-command.js";
import { registerReproduceCommand } from "./reproduce-command.js";

/** Builds the `sam-repro` program with every package's subcommands. */
export async function buildProgram(): Promise<Command> {
  const program = new Command("sam-repro")
    .description("Reproduce 'Towards Understanding Sharpness-Aware Minimization' (ICML 2022) with TensorFlow.js")
    .addOption(new Option("--backend <name>", `tfjs backend (env ${BACKEND_ENV_VAR})`).choices([...BACKEND_CHOICES]))
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });
  program.hook("preAction", (command) => {
    const backend = command.opts<{ backend?: string }>().backend;
    if (backend) process.env[BACKEND_ENV_VAR] = backend;
  });
  program.addHelpText(
    "after",
    `\nProfiles (--profile or ${PROFILE_ENV_VAR}): ${PROFILES.join(", ")}; default cpu.\n`,
  );
  registerEnvCommand(program);
  registerReproduceCommand(program);
  for (const load of commandModules) (await load()).registerCommands(program);
  return program;
}
