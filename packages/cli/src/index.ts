export { buildProgram } from "./program.js";
export { commandModules, reproduceModules, type CommandModule, type ReproduceModule } from "./commands.js";
