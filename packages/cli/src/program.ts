import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Command, Option } from "commander";
import { InputError, PROFILES, PROFILE_ENV_VAR, readSetting, setSetting } from "@sam-repro/runner";
import { commandModules } from "./commands.js";
import { registerEnvCommand } from "./env-command.js";
import { registerReproduceCommand } from "./reproduce-command.js";

/**
 * Builds the `sam-repro` program. Given the command line, only the package that provides the
 * invoked command is loaded; help (or no command) loads every package to list all subcommands.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  // `--version` alone loads neither tfjs (the runtime) nor any package: it answers in the time node starts.
  if (invokedCommand(argv) === null && argv.some((arg) => arg === "-V" || arg === "--version")) {
    return new Command("sam-repro").version(cliVersion(), "-V, --version", "print the version").exitOverride();
  }
  const { BACKEND_CHOICES, BACKEND_ENV_VAR } = await import("@sam-repro/runtime");
  const program = new Command("sam-repro")
    .description("Reproduce 'Towards Understanding Sharpness-Aware Minimization' (ICML 2022) with TensorFlow.js")
    .version(cliVersion(), "-V, --version", "print the version")
    .addOption(new Option("--backend <name>", `tfjs backend (env ${BACKEND_ENV_VAR})`).choices([...BACKEND_CHOICES]))
    // Usage errors: one line ("error: ... (Did you mean train?)"), exit code 2 in main.ts, no help dump.
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (text, write) => write(`${text.trim().replace(/\s*\n\s*/g, " ")}\n`) });
  program.hook("preAction", (command) => {
    const backend = command.opts<{ backend?: string }>().backend;
    if (backend) setSetting(BACKEND_ENV_VAR, backend);
    checkNativePackage(backend ?? readSetting(BACKEND_ENV_VAR), BACKEND_CHOICES);
  });
  program.addHelpText(
    "after",
    `\nProfiles (--profile or ${PROFILE_ENV_VAR}): ${PROFILES.join(", ")}; default cpu.\n`,
  );
  registerEnvCommand(program);
  registerReproduceCommand(program);
  const invoked = invokedCommand(argv);
  // An unknown command word loads every package, so commander can suggest the nearest real command.
  const known = invoked === null || commandModules.some((entry) => entry.commands.includes(invoked));
  const wanted = commandModules.filter((entry) => !known || invoked === null || entry.commands.includes(invoked));
  for (const entry of invoked === "env" || invoked === "reproduce" ? [] : wanted) (await entry.load()).registerCommands(program);
  return program;
}

/** The version of the cli package (package.json). */
function cliVersion(): string {
  // src/program.ts and dist/program.js are both one level below the package root.
  return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

const NATIVE_PACKAGES: Record<string, string> = { tensorflow: "@tensorflow/tfjs-node", "tensorflow-gpu": "@tensorflow/tfjs-node-gpu" };

/** A forced tensorflow backend whose package is not installed is a usage error, before any work starts. */
function checkNativePackage(backend: string | undefined, choices: readonly string[]): void {
  const pkg = backend ? NATIVE_PACKAGES[backend] : undefined;
  if (!pkg) return;
  try {
    createRequire(import.meta.url).resolve(pkg);
  } catch {
    throw new InputError(
      `--backend ${backend}: ${pkg} is not installed; install it (npm install ${pkg}) or choose one of ${choices.filter((c) => !(c in NATIVE_PACKAGES)).join(", ")}`,
    );
  }
}

/** The first command-line word that is not an option (nor the value of --backend), or null. */
export function invokedCommand(argv: readonly string[]): string | null {
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
