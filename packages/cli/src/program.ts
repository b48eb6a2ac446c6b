import { Command, Option } from "commander";
import { BACKEND_CHOICES, BACKEND_ENV_VAR } from "@sam-repro/runtime";
import { PROFILES, PROFILE_ENV_VAR } from "@sam-repro/runner";
import { commandModules } from "./commands.js";
import { registerEnvCommand } from "./env-command.js";
import { registerReproduceCommand } from "./reproduce-command.js";

/**
 * Builds the `sam-repro` program. Given the command line, only the package that provides the
 * invoked command is loaded; help (or no command) loads every package to list all subcommands.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
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
  const invoked = invokedCommand(argv);
  const wanted = commandModules.filter((entry) => invoked === null || entry.commands.includes(invoked));
  for (const entry of invoked === "env" || invoked === "reproduce" ? [] : wanted) (await entry.load()).registerCommands(program);
  return program;
}

/** The first command-line word that is not an option (nor the value of --backend), or null. */
function invokedCommand(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--backend") {
      i++;
      continue;
    }
    if (arg.startsWith("-")) continue;
    return arg === "help" ? null : arg;
  }
  return null;
}
